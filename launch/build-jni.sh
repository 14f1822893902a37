#!/usr/bin/env bash
# launch/build-jni.sh: builds DJL's PyTorch JNI library (libdjl_torch.so) from DJL v0.36.0's own
# sources against a local libtorch, installs it where DJL looks for it offline, and prints the
# environment that launch/mobilevit needs to use that libtorch. See --help and docs/gpus.md.
#
# Why: DJL's prebuilt JNI is made for libtorch 2.7.1 and does not load against another libtorch
# (a GPU server's own PyTorch, a newer CUDA). DJL's sources are fetched or read from --source and
# copied to a build folder; neither the given checkout nor this repository is written to.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly DJL_VERSION=0.36.0
readonly DJL_TAG="v$DJL_VERSION"
# DJL_GIT_URL lets a mirror (or, in the tests, an unreachable address) stand in for GitHub.
readonly DJL_URL="${DJL_GIT_URL:-https://github.com/deepjavalibrary/djl}"
readonly NATIVE_REL=engines/pytorch/pytorch-native
readonly UTILS_REL=api/src/main/native
readonly JNI_JAVA_REL=engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java
readonly JNI_HEADER=ai_djl_pytorch_jni_PyTorchLibrary.h
readonly SYSTEM_CC=src/main/native/ai_djl_pytorch_jni_PyTorchLibrary_system.cc

usage() {
  cat <<'EOF'
Usage: launch/build-jni.sh LIBTORCH_DIR [options]

Builds DJL 0.36.0's PyTorch JNI library (libdjl_torch.so) against LIBTORCH_DIR and installs it as
  <cache>/pytorch/<version>-<flavor>-linux-x86_64/0.36.0-libdjl_torch.so
which is where DJL looks for it when PYTORCH_LIBRARY_PATH points at that libtorch. On success the
last lines on standard output are the environment for launch/mobilevit:
  eval "$(launch/build-jni.sh "$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')")"

LIBTORCH_DIR  a PyTorch install's torch/ folder or an unpacked libtorch: include/, lib/libtorch.so,
              share/cmake/Torch/. Its version comes from version.py or build-version; its flavor
              (cpu or cuXYZ) from the libraries present (lib/libtorch_cuda.so) and the CUDA version
              recorded beside them.

Options:
  --source DIR       a DJL v0.36.0 checkout, or its engines/pytorch/pytorch-native folder (inside
                     the checkout); default: git clone --depth 1 --branch v0.36.0 of DJL
                     (DJL_GIT_URL overrides the address)
  --cache DIR        DJL cache folder (default: $ENGINE_CACHE_DIR, else $DJL_CACHE_DIR, else ~/.djl.ai)
  --jobs N           parallel compile jobs (default: nproc)
  --jni-include DIR  folder with jni.h (and linux/jni_md.h); default: $JAVA_HOME/include, else the
                     JDK of the javac on PATH. A jlinked runtime made by package-gpu-bundle.sh has it.
  --work DIR         build folder (default: a temporary folder, removed after a successful build)
  --cmake-arg ARG    one more argument for CMake's configure step (repeatable), for example
                     -DCMAKE_CUDA_ARCHITECTURES=90 or -DCUDAToolkit_ROOT=/usr/local/cuda
  --dry-run          only detect the version and flavor and print the install path and environment
  --patch-only       copy the sources into --work DIR and apply the patch steps, then stop
  -h, --help         this text

Patch steps, applied to the copy (see docs/gpus.md):
  1. CMakeLists.txt: the djl_torch target's CXX_STANDARD becomes 17 (20 for libtorch 2.12 and newer,
     whose headers require C++20); DJL 0.36.0 already says 17, so for 2.8 to 2.11 this is a no-op.
  2. ai_djl_pytorch_jni_PyTorchLibrary_system.cc gets '#include <fstream>': it writes the profiler
     output with std::ofstream but never includes <fstream>, which libtorch's own headers no longer
     pull in.
  JNI headers: CMake's FindJNI wants a whole JDK (it also looks for libjvm, which this library never
  links), so the jni.h folder is handed to it on the command line instead.

Exit codes: 0 built (or dry run), 2 bad input (arguments, LIBTORCH_DIR, --source, jni.h, javac),
3 DJL's sources could not be fetched (offline: use --source), 4 patch or build failed.
EOF
}

libtorch="" source_dir="" cache="" jobs="" jni_include="" work="" mode=build
extra_cmake=()
while (($# > 0)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --source | --cache | --jobs | --jni-include | --work | --cmake-arg)
      [[ $# -ge 2 && -n $2 ]] || die 2 "$1 needs a value"
      case $1 in
        --cmake-arg) extra_cmake+=("$2") ;;
        --source) source_dir=$2 ;;
        --cache) cache=$2 ;;
        --jobs) jobs=$2 ;;
        --jni-include) jni_include=$2 ;;
        --work) work=$2 ;;
      esac
      shift 2 ;;
    --dry-run) mode="dry"; shift ;;
    --patch-only) mode="patch"; shift ;;
    -*) die 2 "unknown option: $1 (see --help)" ;;
    *)
      [[ -z $libtorch ]] || die 2 "unexpected argument: $1 (one LIBTORCH_DIR only)"
      libtorch=$1
      shift ;;
  esac
done

[[ -n $libtorch ]] || die 2 "LIBTORCH_DIR is required (see --help)"
if [[ -n $jobs && ! $jobs =~ ^[1-9][0-9]*$ ]]; then
  die 2 "--jobs must be a positive integer, not '$jobs'"
fi
if [[ $mode == patch && -z $work ]]; then
  die 2 "--patch-only needs --work DIR (where the patched copy is left)"
fi

# --- LIBTORCH_DIR: layout, version, flavor ---------------------------------------------------------

[[ -d $libtorch ]] || die 2 "LIBTORCH_DIR $libtorch is not a directory"
libtorch=$(cd "$libtorch" && pwd)
for need in include/torch/script.h lib/libtorch.so share/cmake/Torch/TorchConfig.cmake; do
  [[ -e $libtorch/$need ]] ||
    die 2 "$libtorch has no $need: give a PyTorch install's torch/ folder or an unpacked libtorch"
done

raw_version=""
if [[ -f $libtorch/version.py ]]; then
  raw_version=$(sed -n "s/^__version__ *= *['\"]\([^'\"]*\)['\"].*/\1/p" "$libtorch/version.py" | head -n 1)
fi
if [[ -z $raw_version && -f $libtorch/build-version ]]; then
  raw_version=$(head -n 1 "$libtorch/build-version" | tr -d '[:space:]')
fi
[[ -n $raw_version ]] || die 2 "cannot tell the libtorch version of $libtorch (no version.py or build-version)"
[[ $raw_version =~ ^([0-9]+)\.([0-9]+)\.([0-9]+) ]] ||
  die 2 "unexpected libtorch version '$raw_version' in $libtorch"
torch_version="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
torch_major=${BASH_REMATCH[1]}
torch_minor=${BASH_REMATCH[2]}

# CUDA or CPU is read off the libraries; the CUDA version off version.py's `cuda` field, the
# version's local part (2.7.1+cu128), or a fully versioned libcudart (libcudart.so.12.8.90).
if compgen -G "$libtorch/lib/libtorch_cuda*.so" >/dev/null; then
  cuda=""
  if [[ -f $libtorch/version.py ]]; then
    cuda=$(sed -n "s/^cuda[^=]*= *['\"]\([0-9][0-9]*\)\.\([0-9]\)[^'\"]*['\"].*/\1\2/p" "$libtorch/version.py" | head -n 1)
  fi
  if [[ -z $cuda && $raw_version =~ \+cu([0-9]+)$ ]]; then
    cuda=${BASH_REMATCH[1]}
  fi
  if [[ -z $cuda ]]; then
    for f in "$libtorch"/lib/libcudart*.so.* "$libtorch"/../nvidia/*/lib/libcudart.so.*; do
      if [[ -e $f && $(basename "$f") =~ \.so\.([0-9]+)\.([0-9]) ]]; then
        cuda="${BASH_REMATCH[1]}${BASH_REMATCH[2]}"
        break
      fi
    done
  fi
  [[ -n $cuda ]] || die 2 "$libtorch is a CUDA build but its CUDA version is not recorded (version.py, build-version)"
  flavor="cu$cuda"
elif [[ -e $libtorch/lib/libtorch_hip.so ]]; then
  die 2 "$libtorch is a ROCm build; DJL 0.36.0's JNI supports CPU and CUDA builds only"
else
  flavor=cpu
fi

case $(uname -m) in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  *) die 2 "unsupported machine $(uname -m)" ;;
esac
[[ $(uname -s) == Linux ]] || die 2 "this script builds the Linux library only"

# DJL's Utils.getEngineCacheDir: ENGINE_CACHE_DIR, else DJL_CACHE_DIR, else ~/.djl.ai; LibUtils then
# looks for <cache>/pytorch/<PYTORCH_VERSION>-<PYTORCH_FLAVOR>-<classifier>/<djl version>-libdjl_torch.so.
cache=${cache:-${ENGINE_CACHE_DIR:-${DJL_CACHE_DIR:-$HOME/.djl.ai}}}
[[ $cache == /* ]] || cache=$PWD/$cache
install_dir="$cache/pytorch/$torch_version-$flavor-linux-$arch"
install_path="$install_dir/$DJL_VERSION-libdjl_torch.so"

print_env() {
  echo "# libdjl_torch.so: $install_path"
  echo "export PYTORCH_LIBRARY_PATH=$libtorch/lib PYTORCH_VERSION=$torch_version PYTORCH_FLAVOR=$flavor DJL_CACHE_DIR=$cache ENGINE_CACHE_DIR=$cache"
}

log "libtorch $raw_version ($flavor) at $libtorch"
# DJL takes a JNI library lying in the libtorch folder before the cache: say so if one is there.
for stale in "$libtorch/lib/$DJL_VERSION-libdjl_torch.so" "$libtorch/lib/libdjl_torch.so"; do
  if [[ -e $stale ]]; then
    log "warning: $stale exists; DJL loads it instead of the one in the cache"
  fi
done

if [[ $mode == dry ]]; then
  print_env
  exit 0
fi

# --- JNI headers -------------------------------------------------------------------------------------

find_jni_include() {
  if [[ -n $jni_include ]]; then
    [[ -f $jni_include/jni.h ]] || die 2 "no jni.h in --jni-include $jni_include"
  elif [[ -n ${JAVA_HOME:-} ]]; then
    [[ -f $JAVA_HOME/include/jni.h ]] ||
      die 2 "no jni.h in JAVA_HOME=$JAVA_HOME (include/jni.h); give --jni-include DIR"
    jni_include=$JAVA_HOME/include
  elif command -v javac >/dev/null 2>&1; then
    local jdk
    jdk=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    [[ -f $jdk/include/jni.h ]] || die 2 "no jni.h in the JDK of javac ($jdk); give --jni-include DIR"
    jni_include=$jdk/include
  else
    die 2 "jni.h not found: set JAVA_HOME to a JDK, or give --jni-include DIR"
  fi
  jni_include=$(cd "$jni_include" && pwd)
  if [[ -f $jni_include/linux/jni_md.h ]]; then
    jni_md_include=$jni_include/linux
  elif [[ -f $jni_include/jni_md.h ]]; then
    jni_md_include=$jni_include
  else
    die 2 "no jni_md.h in $jni_include or $jni_include/linux"
  fi
}

if [[ $mode == build ]]; then
  find_jni_include
fi

# --- sources -----------------------------------------------------------------------------------------

keep_work=1
if [[ -z $work ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/djl-jni.XXXXXX")
  keep_work=0
fi
mkdir -p "$work" || die 2 "cannot create the build folder $work"
work=$(cd "$work" && pwd)

if [[ -n $source_dir ]]; then
  [[ -d $source_dir ]] || die 2 "--source $source_dir is not a directory"
  source_dir=$(cd "$source_dir" && pwd)
  if [[ -f $source_dir/$NATIVE_REL/CMakeLists.txt ]]; then
    djl_root=$source_dir
  elif [[ -f $source_dir/CMakeLists.txt && -d $source_dir/src/main/native ]]; then
    djl_root=$(cd "$source_dir/../../.." && pwd)
    [[ $djl_root/$NATIVE_REL -ef $source_dir ]] ||
      die 2 "--source $source_dir is a pytorch-native folder outside a DJL checkout ($NATIVE_REL)"
  else
    die 2 "--source $source_dir is neither a DJL checkout nor its $NATIVE_REL folder"
  fi
  [[ -f $djl_root/$UTILS_REL/djl/utils.h ]] ||
    die 2 "DJL's $UTILS_REL/djl/utils.h is missing in $djl_root (give the whole DJL checkout)"
  if [[ -e $djl_root/.git ]]; then
    tag=$(git -C "$djl_root" describe --tags --exact-match 2>/dev/null || true)
    if [[ $tag != "$DJL_TAG" ]]; then
      log "warning: $djl_root is at '${tag:-an untagged commit}', not $DJL_TAG"
    fi
  fi
else
  log "cloning DJL $DJL_TAG from $DJL_URL"
  rm -rf "$work/djl-clone"
  if ! GIT_TERMINAL_PROMPT=0 git clone -q --depth 1 --branch "$DJL_TAG" "$DJL_URL" "$work/djl-clone" \
    >"$work/clone.log" 2>&1; then
    if ((keep_work == 0)); then rm -rf "$work"; fi
    die 3 "could not clone DJL $DJL_TAG from $DJL_URL (offline?); give a DJL checkout with --source DIR"
  fi
  djl_root=$work/djl-clone
fi

# The copy keeps DJL's layout: CMakeLists.txt finds djl/utils.h at ../../../api/src/main/native and
# the generated JNI header in build/include.
src=$work/djl
rm -rf "$src"
mkdir -p "$src/$NATIVE_REL/src/main" "$src/$NATIVE_REL/build/include" "$src/$UTILS_REL/djl"
cp "$djl_root/$NATIVE_REL/CMakeLists.txt" "$src/$NATIVE_REL/"
cp -R "$djl_root/$NATIVE_REL/src/main/native" "$src/$NATIVE_REL/src/main/"
cp "$djl_root/$UTILS_REL/djl/utils.h" "$src/$UTILS_REL/djl/"
native=$src/$NATIVE_REL

# --- patch steps -------------------------------------------------------------------------------------

if ((torch_major > 2 || (torch_major == 2 && torch_minor >= 12))); then
  cxx_std=20
else
  cxx_std=17
fi
cmakelists=$native/CMakeLists.txt
std_line='set_property\(TARGET djl_torch PROPERTY CXX_STANDARD [0-9]+\)'
grep -Eq "$std_line" "$cmakelists" ||
  die 4 "patch does not apply: no 'set_property(TARGET djl_torch PROPERTY CXX_STANDARD n)' in CMakeLists.txt"
sed -i -E "s/(set_property\(TARGET djl_torch PROPERTY CXX_STANDARD )[0-9]+\)/\1$cxx_std)/" "$cmakelists"
log "patch 1: CXX_STANDARD $cxx_std"

system_cc=$native/$SYSTEM_CC
[[ -f $system_cc ]] || die 4 "patch does not apply: $SYSTEM_CC is missing"
if grep -q '^#include <fstream>' "$system_cc"; then
  log "patch 2: <fstream> already included"
else
  grep -q '^#include <sstream>$' "$system_cc" ||
    die 4 "patch does not apply: no '#include <sstream>' in $SYSTEM_CC to put <fstream> beside"
  sed -i 's/^#include <sstream>$/#include <fstream>\n#include <sstream>/' "$system_cc"
  log "patch 2: #include <fstream> added"
fi

if [[ $mode == patch ]]; then
  echo "$native"
  exit 0
fi

# --- JNI header: DJL generates it from PyTorchLibrary.java; a bundle brings it ready-made ------------

header=$native/build/include/$JNI_HEADER
if [[ -f $djl_root/$NATIVE_REL/build/include/$JNI_HEADER ]]; then
  cp "$djl_root/$NATIVE_REL/build/include/$JNI_HEADER" "$header"
else
  javac_bin=""
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/javac ]]; then
    javac_bin=$JAVA_HOME/bin/javac
  elif command -v javac >/dev/null 2>&1; then
    javac_bin=$(command -v javac)
  fi
  [[ -n $javac_bin ]] ||
    die 2 "no javac to generate $JNI_HEADER; use a JDK, or a source prepared by package-gpu-bundle.sh"
  [[ -f $djl_root/$JNI_JAVA_REL ]] || die 2 "DJL's $JNI_JAVA_REL is missing in $djl_root"
  "$javac_bin" -h "$native/build/include" -d "$work/classes" "$djl_root/$JNI_JAVA_REL" >"$work/javac.log" 2>&1 ||
    die 4 "javac -h failed (log: $work/javac.log)"
fi

# --- build and install ---------------------------------------------------------------------------------

build_log=$work/build.log
fail_build() {
  # The compiler's own first errors, then the one-line summary.
  grep -m 10 -E 'error|Error' "$build_log" | sed 's/^/  /' >&2 || true
  die 4 "$1 (log: $build_log)"
}

cmake_args=(
  -S "$native" -B "$native/build"
  -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_PREFIX_PATH="$libtorch"
  -DJAVA_INCLUDE_PATH="$jni_include"
  -DJAVA_INCLUDE_PATH2="$jni_md_include"
  -DJAVA_JVM_LIBRARY=NotNeeded
)
if [[ $flavor == cu* ]]; then
  cmake_args+=(-DUSE_CUDA=1)
  if ! command -v nvcc >/dev/null 2>&1 && [[ -x /usr/local/cuda/bin/nvcc ]]; then
    PATH=/usr/local/cuda/bin:$PATH # Torch's CMake config looks for the CUDA toolkit
  fi
fi
# As DJL's build.sh: libtorch 1.13 to 2.1 need the V1_13_X code paths.
if [[ $torch_version =~ ^(1\.13|2\.0|2\.1)\. ]]; then
  cmake_args+=(-DPT_VERSION=V1_13_X)
fi
cmake_args+=("${extra_cmake[@]}")

log "building in $native/build (log: $build_log)"
cmake "${cmake_args[@]}" >"$build_log" 2>&1 || fail_build "cmake could not configure the build"
cmake --build "$native/build" --config Release -j "${jobs:-$(nproc)}" >>"$build_log" 2>&1 ||
  fail_build "compiling libdjl_torch.so failed"
[[ -f $native/build/libdjl_torch.so ]] || fail_build "the build made no libdjl_torch.so"

mkdir -p "$install_dir" || die 4 "cannot create $install_dir"
cp "$native/build/libdjl_torch.so" "$install_path.tmp"
mv -f "$install_path.tmp" "$install_path"
log "installed $install_path"
if ((keep_work == 0)); then
  rm -rf "$work"
fi
print_env
