#!/usr/bin/env bash
# launch/package-gpu-bundle.sh: packs what a GPU machine without Java and without internet needs to
# run launch/gpu-check.sh: a jlinked Java runtime, the shaded jar without the CPU PyTorch natives,
# and DJL's JNI sources for build-jni.sh. All of it goes into one OUT_DIR/gpu-bundle.tar.xz.
#
# The device tool sends the working tree (tracked and untracked-not-ignored files) plus the ignored
# paths named in `carry`, 64 MiB in all. The default OUT_DIR, .gpu-bundle, is git-ignored; a device
# call names it in carry:  carry: [".gpu-bundle"]
# and runs:                bash launch/gpu-check.sh --bundle .gpu-bundle/gpu-bundle.tar.xz --out "$OUT"
set -euo pipefail

readonly DJL_TAG=v0.36.0
readonly DJL_URL="${DJL_GIT_URL:-https://github.com/deepjavalibrary/djl}"
readonly NATIVE_REL=engines/pytorch/pytorch-native
readonly JNI_JAVA_REL=engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java
readonly LIMIT_BYTES=$((64 * 1024 * 1024))

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=lib.sh
source "$here/lib.sh"

usage() {
  cat <<'EOF'
Usage: launch/package-gpu-bundle.sh OUT_DIR [options]

Writes OUT_DIR/gpu-bundle.tar.xz with
  jre/                a jlinked Java runtime: the modules jdeps finds in the jar, plus jdk.unsupported;
                      its include/jni.h lets build-jni.sh compile without a JDK
  mobilevit-gpu.jar   launch/target/mobilevit.jar without the natives a GPU machine does not use:
                      PyTorch's CPU libtorch (pytorch/**, native/lib/pytorch.properties), DJL's
                      prebuilt JNI for libtorch 2.7.1 (jnilib/**), OpenCV's natives (nu/pattern/opencv/**;
                      the GPU checks read .npy files, no images) and JNA's natives for other platforms
  djl/                DJL v0.36.0's JNI sources (a sparse copy keeping DJL's layout, with DJL's
                      LICENSE) and the JNI header generated from PyTorchLibrary.java
and prints the sizes against the device's 64 MiB (working tree + carried paths).

Options:
  --jar FILE          the shaded jar (default launch/target/mobilevit.jar; build it with
                      mvn -B -o -q package -DskipTests)
  --djl-source DIR    a DJL v0.36.0 checkout (default: git clone --depth 1 --branch v0.36.0,
                      DJL_GIT_URL overrides the address)
  --modules LIST      modules of the runtime instead of jdeps' list (comma-separated); without
                      java.desktop and java.compiler (plots, java.beans) the bundle is about 4 MiB
                      smaller, and forward, overfit and bench model still run
  --with-opencv       keep OpenCV's linux-x86_64 native (about 25 MB more; does not fit beside the fixtures)
  --parts LIST        what to pack, of jar,jre,djl (default all three)
  -h, --help          this text

OUT_DIR should be git-ignored (.gpu-bundle is): carry sends ignored paths only when named.
Exit codes: 0 done, 2 bad input, 3 DJL's sources could not be fetched, 4 the bundle does not fit in
64 MiB beside the working tree (the archive is still written), 1 a tool failed.
EOF
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

out="" jar="$root/launch/target/mobilevit.jar" djl_source="" modules="" with_opencv=0 parts="jar,jre,djl"
while (($# > 0)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --jar | --djl-source | --modules | --parts)
      [[ $# -ge 2 && -n $2 ]] || die 2 "$1 needs a value"
      case $1 in
        --jar) jar=$2 ;;
        --djl-source) djl_source=$2 ;;
        --modules) modules=$2 ;;
        --parts) parts=$2 ;;
      esac
      shift 2 ;;
    --with-opencv) with_opencv=1; shift ;;
    -*) die 2 "unknown option: $1 (see --help)" ;;
    *)
      [[ -z $out ]] || die 2 "unexpected argument: $1 (one OUT_DIR only)"
      out=$1
      shift ;;
  esac
done
[[ -n $out ]] || die 2 "OUT_DIR is required (see --help)"

want_jar=0 want_jre=0 want_djl=0
IFS=',' read -r -a part_list <<<"$parts"
for p in "${part_list[@]}"; do
  case $p in
    jar) want_jar=1 ;;
    jre) want_jre=1 ;;
    djl) want_djl=1 ;;
    *) die 2 "--parts: unknown part '$p' (jar, jre, djl)" ;;
  esac
done
if ((want_jar || want_jre)); then
  [[ -f $jar ]] || die 2 "no jar at $jar: build it with mvn -B -o -q package -DskipTests, or give --jar FILE"
fi
for tool in zip unzip tar xz; do
  command -v "$tool" >/dev/null 2>&1 || die 2 "$tool is not installed"
done
if ((want_jre)); then
  for tool in jdeps jlink; do
    command -v "$tool" >/dev/null 2>&1 || die 2 "$tool is not installed (it comes with a JDK)"
  done
fi
if [[ -n $djl_source && ! -f $djl_source/$NATIVE_REL/CMakeLists.txt ]]; then
  die 2 "--djl-source $djl_source is not a DJL checkout (no $NATIVE_REL/CMakeLists.txt)"
fi

mkdir -p "$out" || die 2 "cannot create $out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/gpu-bundle.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bundle"

# --- the jar -----------------------------------------------------------------------------------------

slim=$stage/slim.jar
if ((want_jar || want_jre)); then
  cp "$jar" "$slim"
  # Entries of the CPU natives and of the platforms a GPU machine is not; module-info.class of
  # multi-release libraries is dropped too: it is ignored on the class path and makes jdeps treat
  # the jar as a module.
  drop='^(pytorch/|native/lib/pytorch\.properties$|jnilib/|META-INF/versions/[0-9]+/module-info\.class$)'
  if ((with_opencv)); then
    drop+='|^nu/pattern/opencv/(linux/(ARM|x86_32)|osx|windows)'
  else
    drop+='|^nu/pattern/opencv/'
  fi
  # JNA's natives lie in folders named <os>-<arch> (its Java packages have no dash).
  drop+='|^com/sun/jna/[^/]*-[^/]*/.'
  unzip -Z1 "$slim" | grep -E "$drop" | grep -v '^com/sun/jna/linux-x86-64/' >"$stage/drop.txt" || true
  if [[ -s $stage/drop.txt ]]; then
    zip -q -nw -d "$slim" -@ <"$stage/drop.txt" || die 1 "zip could not remove entries from the jar"
  fi
  log "jar: dropped $(wc -l <"$stage/drop.txt") entries"
fi

if ((want_jar)); then
  # Stored (not deflated) entries: xz packs them to about half of what the deflated jar takes.
  mkdir -p "$stage/x"
  (cd "$stage/x" && unzip -q "$slim")
  (
    cd "$stage/x"
    zip -q -0 -X "$stage/bundle/mobilevit-gpu.jar" META-INF/MANIFEST.MF
    zip -q -0 -X -r "$stage/bundle/mobilevit-gpu.jar" . -x META-INF/MANIFEST.MF
  ) || die 1 "zip could not write mobilevit-gpu.jar"
  rm -rf "$stage/x"
fi

# --- the Java runtime ----------------------------------------------------------------------------------

if ((want_jre)); then
  if [[ -z $modules ]]; then
    modules=$(jdeps --print-module-deps --ignore-missing-deps --multi-release 17 "$slim" 2>"$stage/jdeps.log") ||
      die 1 "jdeps failed: $(head -n 1 "$stage/jdeps.log")"
    # DJL and JNA reach sun.misc.Unsafe reflectively, which jdeps cannot see.
    modules="$modules,jdk.unsupported"
  fi
  log "runtime modules: $modules"
  # No --no-header-files: include/jni.h is what build-jni.sh compiles against on the GPU machine.
  # --compress=0 because xz packs the uncompressed module image much smaller.
  jlink --add-modules "$modules" --strip-debug --no-man-pages --compress=0 \
    --output "$stage/bundle/jre" >"$stage/jlink.log" 2>&1 ||
    die 1 "jlink failed: $(head -n 1 "$stage/jlink.log")"
  if command -v strip >/dev/null 2>&1; then
    # The JDK's libraries carry their symbol tables; the dynamic symbols stay.
    find "$stage/bundle/jre" -name '*.so' -exec strip --strip-unneeded {} +
  fi
  "$stage/bundle/jre/bin/java" -version >/dev/null 2>&1 || die 1 "the jlinked runtime does not start"
  [[ -f $stage/bundle/jre/include/jni.h ]] || die 1 "the jlinked runtime has no include/jni.h"
fi

# --- DJL's JNI sources ----------------------------------------------------------------------------------

if ((want_djl)); then
  if [[ -z $djl_source ]]; then
    log "cloning DJL $DJL_TAG from $DJL_URL"
    GIT_TERMINAL_PROMPT=0 git clone -q --depth 1 --branch "$DJL_TAG" "$DJL_URL" "$stage/djl-clone" \
      >"$stage/clone.log" 2>&1 ||
      die 3 "could not clone DJL $DJL_TAG from $DJL_URL (offline?); give a checkout with --djl-source DIR"
    djl_source=$stage/djl-clone
  fi
  d=$stage/bundle/djl
  mkdir -p "$d/$NATIVE_REL/src/main" "$d/$NATIVE_REL/build/include" "$d/api/src/main/native/djl" \
    "$d/$(dirname "$JNI_JAVA_REL")"
  cp "$djl_source/$NATIVE_REL/CMakeLists.txt" "$d/$NATIVE_REL/"
  cp -R "$djl_source/$NATIVE_REL/src/main/native" "$d/$NATIVE_REL/src/main/"
  cp "$djl_source/api/src/main/native/djl/utils.h" "$d/api/src/main/native/djl/"
  cp "$djl_source/$JNI_JAVA_REL" "$d/$JNI_JAVA_REL"
  for f in LICENSE NOTICE; do
    if [[ -f $djl_source/$f ]]; then cp "$djl_source/$f" "$d/"; fi
  done
  # The GPU machine has no javac: generate the JNI header here, where build-jni.sh finds it.
  javac -h "$d/$NATIVE_REL/build/include" -d "$stage/classes" "$d/$JNI_JAVA_REL" >"$stage/javac.log" 2>&1 ||
    die 1 "javac -h failed: $(head -n 1 "$stage/javac.log")"
fi

# --- archive and sizes -----------------------------------------------------------------------------------

archive=$out/gpu-bundle.tar.xz
rm -f "$archive"
tar -C "$stage/bundle" -cf - . | xz -9 -T 2 >"$archive.tmp" || die 1 "tar/xz failed"
mv -f "$archive.tmp" "$archive"

for part in jre mobilevit-gpu.jar djl; do
  if [[ -e $stage/bundle/$part ]]; then
    printf '  %-20s %s unpacked\n' "$part" "$(mib "$(du -sb "$stage/bundle/$part" | cut -f1)")"
  fi
done
bundle_bytes=$(stat -c %s "$archive")
printf '  %-20s %s\n' "gpu-bundle.tar.xz" "$(mib "$bundle_bytes")"

# What else travels: the working tree of this checkout (tracked plus untracked-not-ignored files).
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  tree_bytes=$(cd "$root" && git ls-files -z --cached --others --exclude-standard |
    { xargs -0 -r stat -c %s 2>/dev/null || true; } | awk '{ s += $1 } END { print s + 0 }')
  total=$((tree_bytes + bundle_bytes))
  printf '  %-20s %s + bundle = %s of 64 MiB\n' "working tree" "$(mib "$tree_bytes")" "$(mib "$total")"
  if git -C "$root" check-ignore -q "$out" 2>/dev/null; then
    :
  elif [[ $out == "$root"/* ]]; then
    log "warning: $out is not git-ignored: it would travel as part of the tree (add it to .gitignore)"
  fi
  if ((total > LIMIT_BYTES)); then
    die 4 "the bundle does not fit: tree and bundle take $(mib "$total") of 64 MiB (try --modules java.base,java.management,java.naming,java.sql,jdk.unsupported, about 4 MiB less)"
  fi
fi
echo "$archive"
