/** The one cbor-x setting every peer with a choice of codec uses: plain RFC 8949 (no records, no typed-array tags). */
import { Encoder } from 'cbor-x';

export const cbor = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: true });
