# step prints a section header on stderr: bold only on a terminal, and
# never with NO_COLOR set (https://no-color.org), so a log or a file gets
# plain text. Sourced by demo.sh.
step() {
  if [ -t 2 ] && [ -z "${NO_COLOR:-}" ]; then
    printf '\n\033[1m==> %s\033[0m\n' "$*" >&2
  else
    printf '\n==> %s\n' "$*" >&2
  fi
}
