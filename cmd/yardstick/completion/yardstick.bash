# bash completion for yardstick. Load it with
#   source <(yardstick completion bash)
# in ~/.bashrc, or save it as ~/.local/share/bash-completion/completions/yardstick.
#
# yardstick answers itself: the words up to the cursor, the one being completed
# always included ("" for none), are run again with --generate-bash-completion
# (urfave/cli's protocol), which prints the commands, the flags or a flag's values and
# runs nothing. Nothing printed: bash completes file names. Adapted from urfave/cli
# v2.27.7 autocomplete/bash_autocomplete (MIT License, Copyright (c) 2022 urfave/cli
# maintainers), without its need for the bash-completion package and without eval.
_yardstick_complete() {
  local cur="${COMP_WORDS[COMP_CWORD]}" opts
  opts=$("${COMP_WORDS[@]:0:COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null)
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o bashdefault -o default -F _yardstick_complete yardstick
