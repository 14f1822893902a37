# Sourced by the scripts in launch/ (the launcher mobilevit, build-jni.sh, gpu-check.sh,
# package-gpu-bundle.sh, train-imagenet.sh): their one-line errors and their progress lines, both on
# stderr, the same in every script.

# die CODE MESSAGE...: prints "error: MESSAGE" and exits with CODE (each script's --help lists its codes).
die() {
  local code=$1
  shift
  echo "error: $*" >&2
  exit "$code"
}

# log MESSAGE...: prints "SCRIPT: MESSAGE", SCRIPT being the running script's name without .sh.
log() {
  local script=${0##*/}
  echo "${script%.sh}: $*" >&2
}
