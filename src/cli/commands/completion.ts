/**
 * `lip completion bash|zsh`: a completion script for the shell, generated from
 * the command tree itself, so it never lags behind the options. Function names
 * are read from the socket directory by the shell (no Node start per TAB).
 */
import { Argument, type Command } from 'commander';
import { print } from '../common.js';

const SHELLS = ['bash', 'zsh'] as const;
// Commands whose first argument is a served function's name.
const TAKES_NAME = ['doc', 'call', 'stats', 'ping', 'stop', 'health'];
const VALUES: Record<string, string> = {
  '--log-level': 'debug info warning error critical silent',
  '--log-format': 'pretty json',
};
const DIRECTORY_OPTIONS = ['--socket-dir'];
const FILE_OPTIONS = ['--out', '--arg-file', '--args', '--kwargs'];

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash or zsh)')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(SHELLS))
    .addHelpText(
      'after',
      `
Examples:
  $ eval "$(lip completion bash)"        # in ~/.bashrc
  $ eval "$(lip completion zsh)"         # in ~/.zshrc, after compinit`,
    )
    .action((shell: (typeof SHELLS)[number]) => print(shell === 'bash' ? bashScript(program) : zshScript(program)));
}

interface Tree {
  commands: string[];
  optionsOf: Record<string, string[]>;
}

function treeOf(program: Command): Tree {
  const optionsOf: Record<string, string[]> = {};
  for (const command of program.commands)
    optionsOf[command.name()] = [...command.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => !!f), '--help'];
  return { commands: program.commands.map((c) => c.name()).concat('help'), optionsOf };
}

function caseArms(optionsOf: Record<string, string[]>, indent: string): string {
  // Literal words: zsh does not split a variable's value into words as bash does.
  return Object.entries(optionsOf)
    .map(([name, options]) => `${indent}${name}) printf '%s\\n' ${options.join(' ')} ;;`)
    .join('\n');
}

/** Shared by both shells (POSIX enough for bash and zsh): candidates for the word being completed. */
function candidatesFunction(tree: Tree): string {
  return `# _lip_candidates COMMAND PREVIOUS CURRENT INDEX SOCKET_DIR: prints what may complete CURRENT, one per line;
# "@files" or "@dirs" ask the shell for paths.
_lip_candidates() {
  local command="$1" prev="$2" cur="$3" index="$4" dir="$5"
  # zsh: a glob that matches nothing is empty, as in the loop below it must be (bash keeps it as is, and -S skips it).
  [ -n "$ZSH_VERSION" ] && setopt local_options null_glob
  if [ "$index" -le 1 ]; then
    printf '%s\\n' ${tree.commands.join(' ')} --help --version
    return
  fi
  case "$prev" in
${Object.entries(VALUES)
  .map(([option, values]) => `    ${option}) printf '%s\\n' ${values}; return ;;`)
  .join('\n')}
    ${DIRECTORY_OPTIONS.join('|')}) echo @dirs; return ;;
    ${FILE_OPTIONS.join('|')}) echo @files; return ;;
  esac
  case "$cur" in
    -*)
      case "$command" in
${caseArms(tree.optionsOf, '        ')}
      esac
      return ;;
  esac
  case "$command" in
    serve) echo @files ;;
    completion) printf '%s\\n' ${SHELLS.join(' ')} ;;
    help) printf '%s\\n' ${tree.commands.join(' ')} ;;
    ${TAKES_NAME.join('|')})
      [ "$index" -eq 2 ] || return
      local socket name
      for socket in "$dir"/lipcm-*.sock; do
        [ -S "$socket" ] || continue
        name="\${socket##*/lipcm-}"
        printf '%s\\n' "\${name%.sock}"
      done ;;
  esac
}

# The socket directory a command line names: --socket-dir, else $LIP_SOCKET_DIR, else /tmp.
_lip_socket_dir() {
  local dir="\${LIP_SOCKET_DIR:-/tmp}" previous=''
  for word in "$@"; do
    [ "$previous" = --socket-dir ] && dir="$word"
    previous="$word"
  done
  printf '%s' "$dir"
}`;
}

export function bashScript(program: Command): string {
  return `# lip completion for bash. Load it with: eval "$(lip completion bash)"
${candidatesFunction(treeOf(program))}

_lip() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" command="\${COMP_WORDS[1]}"
  local dir candidates
  dir="$(_lip_socket_dir "\${COMP_WORDS[@]:1}")"
  candidates="$(_lip_candidates "$command" "$prev" "$cur" "$COMP_CWORD" "$dir")"
  case "$candidates" in
    @files) COMPREPLY=($(compgen -f -- "$cur")) ;;
    @dirs) COMPREPLY=($(compgen -d -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$candidates" -- "$cur")) ;;
  esac
}
complete -o default -F _lip lip`;
}

export function zshScript(program: Command): string {
  return `#compdef lip
# lip completion for zsh. Load it with: eval "$(lip completion zsh)" (after compinit)
${candidatesFunction(treeOf(program))}

_lip() {
  local dir candidates
  dir="$(_lip_socket_dir "\${(@)words[2,-1]}")"
  # zsh counts words from 1 and CURRENT is the word being completed: index CURRENT-1 in bash terms.
  candidates="$(_lip_candidates "\${words[2]}" "\${words[CURRENT-1]}" "\${words[CURRENT]}" "$((CURRENT - 1))" "$dir")"
  case "$candidates" in
    @files) _files ;;
    @dirs) _files -/ ;;
    *) compadd -- \${(f)candidates} ;;
  esac
}
(( $+functions[compdef] )) && compdef _lip lip`;
}
