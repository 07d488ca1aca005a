#compdef yardstick
# zsh completion for yardstick. Load it with
#   source <(yardstick completion zsh)
# in ~/.zshrc (after compinit), or save it as _yardstick in a directory of $fpath.
#
# yardstick answers itself: the words up to the cursor, the one being completed
# included ("" for none), are run again with --generate-bash-completion (urfave/cli's
# protocol), which prints the commands, the flags or a flag's values and runs nothing.
# Nothing printed: zsh completes file names.
# Adapted from urfave/cli v2.27.7 autocomplete/zsh_autocomplete (MIT License,
# Copyright (c) 2022 urfave/cli maintainers).
_yardstick() {
  local -a opts
  opts=("${(@f)$(${words[@]:0:CURRENT} --generate-bash-completion 2>/dev/null)}")
  if [[ -n "${opts[1]}" ]]; then
    compadd -- "${opts[@]}"
  else
    _files
  fi
}
compdef _yardstick yardstick
