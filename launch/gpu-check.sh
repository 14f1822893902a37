#!/usr/bin/env bash
# launch/gpu-check.sh: the one script for a GPU machine without internet (and without Java: the
# runtime comes in the bundle made by package-gpu-bundle.sh). In one run, each stage time-boxed and
# reported, none fatal to the others:
#   build        DJL's JNI built against this machine's PyTorch (build-jni.sh)
#   logits       `mobilevit forward` on the GPU for each fixtures/inputs file against fixtures/logits,
#                |a-b| <= 1e-3 + 1e-4|b|, TF32 off
#   train        the fixture training step (`mobilevit overfit`, 4 steps) on the GPU and on the CPU:
#                the losses agree within 1e-3, TF32 off
#   bench-train  `mobilevit bench train` on the GPU: our images/s of the whole training step
#   anchor       PyTorch's own eager fp32 training step of MobileViT-XXS (torch_step.py)
#   bench-model  `mobilevit bench model` on the GPU
# then a summary table and, as the last line, name=value pairs (ours_train_img_s, torch_train_img_s,
# ratio, logits_ok, train_step_ok, ...). The device call, with carry [".gpu-bundle"]:
#   bash launch/gpu-check.sh --bundle .gpu-bundle/gpu-bundle.tar.xz --out "$OUT"
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=lib.sh
source "$here/lib.sh"
readonly ALL_STAGES="build,logits,train,bench-train,anchor,bench-model"

# python3 snippets (numpy and torch live on the GPU machine's python3).
read -r -d '' UNPACK_PY <<'EOF' || true
import sys, tarfile
with tarfile.open(sys.argv[1]) as tar:
    # the 'tar' filter keeps the runtime's executable bits (Python 3.12+ warns without a filter)
    tar.extractall(sys.argv[2], **({"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}))
EOF
# Prints the CUDA runtime library PyTorch loaded (else one shipped beside it).
read -r -d '' CUDART_PY <<'EOF' || true
import glob, os, torch
torch.cuda.init()
found = [l.split()[-1] for l in open("/proc/self/maps") if "/libcudart" in l.split()[-1]]
if not found:
    top = os.path.dirname(torch.__file__)
    found = sorted(glob.glob(os.path.join(top, "lib", "libcudart*.so*"))
                   + glob.glob(os.path.join(top, "..", "nvidia", "*", "lib", "libcudart.so*")))
if found:
    print(os.path.realpath(found[0]))
EOF
# Arguments: pairs of (our logits .npy, fixture logits .npy). Prints "true|false worst_abs_diff".
read -r -d '' COMPARE_PY <<'EOF' || true
import sys
import numpy as np
worst, ok = 0.0, True
for got_path, want_path in zip(sys.argv[1::2], sys.argv[2::2]):
    got, want = np.load(got_path), np.load(want_path)
    if got.shape != want.shape:
        print(f"{got_path}: shape {got.shape} != {want.shape}", file=sys.stderr)
        ok = False
        continue
    diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
    bad = int(np.count_nonzero(diff > 1e-3 + 1e-4 * np.abs(want)))
    print(f"{want_path}: max |a-b| {diff.max():.3g}, {bad} outside tolerance", file=sys.stderr)
    worst = max(worst, float(diff.max()))
    ok = ok and bad == 0
print(f"{'true' if ok else 'false'} {worst:.3g}")
EOF

usage() {
  cat <<'EOF'
Usage: launch/gpu-check.sh [options]

Checks this project on a CUDA GPU and measures it against PyTorch eager on the same card; see the
comment at the top of this script for the stages. Needs python3 with PyTorch and numpy, CMake and a
C++ compiler, and a Java runtime with the shaded jar (from the bundle, or given).

Options:
  --bundle PATH      gpu-bundle.tar.xz from package-gpu-bundle.sh, or the folder it unpacks to;
                     gives the defaults of --java, --jar and --djl-source
  --java DIR         Java runtime home (DIR/bin/java; default: the bundle's jre/, else $JAVA_HOME)
  --jar FILE         the shaded jar (default: the bundle's, else launch/target/mobilevit.jar)
  --djl-source DIR   DJL's JNI sources for build-jni.sh (default: the bundle's djl/)
  --torch-dir DIR    libtorch to build against (default: python3's torch package folder)
  --jni-env FILE     skip the build: use the 'export ...' lines build-jni.sh printed earlier
  --cmake-arg ARG    passed on to build-jni.sh (repeatable)
  --device DEV       gpuN (default gpu0); cpu runs the same flow with no GPU, to try the script
  --stages LIST      some of build,logits,train,bench-train,anchor,bench-model (default all)
  --batch N          batch of the benchmarks (default 128)
  --size N           image side of the benchmarks (default 256)
  --bench-steps N    steps of `bench train` (default 100)
  --anchor-steps N   timed steps of the PyTorch anchor (default 50, after 10 warm-up steps)
  --time-limit S     seconds for the whole run (default 450); stages shrink to fit, late ones are skipped
  --work DIR         working folder (default: a temporary folder)
  --out DIR          where the stage logs and summary.txt go (default: the working folder)
  -h, --help         this text

Exit codes: 0 every stage passed, 1 a stage failed or was skipped, 2 bad arguments,
3 no usable GPU (no nvidia-smi, no GPU listed, or no such GPU index).
EOF
}

positive() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die 2 "$1 must be a positive integer, not '$2'"; }

bundle="" java_home="" jar="" djl_src="" torch_dir="" jni_env="" device="gpu0" stages=$ALL_STAGES
batch=128 size=256 bench_steps=100 anchor_steps=50 time_limit=450 work="" out=""
cmake_pass=()
while (($# > 0)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --bundle | --java | --jar | --djl-source | --torch-dir | --jni-env | --device | --stages | --batch | \
      --size | --bench-steps | --anchor-steps | --time-limit | --work | --out | --cmake-arg)
      [[ $# -ge 2 && -n $2 ]] || die 2 "$1 needs a value"
      case $1 in
        --cmake-arg) cmake_pass+=(--cmake-arg "$2") ;;
        --bundle) bundle=$2 ;;
        --java) java_home=$2 ;;
        --jar) jar=$2 ;;
        --djl-source) djl_src=$2 ;;
        --torch-dir) torch_dir=$2 ;;
        --jni-env) jni_env=$2 ;;
        --device) device=$2 ;;
        --stages) stages=$2 ;;
        --batch) batch=$2 ;;
        --size) size=$2 ;;
        --bench-steps) bench_steps=$2 ;;
        --anchor-steps) anchor_steps=$2 ;;
        --time-limit) time_limit=$2 ;;
        --work) work=$2 ;;
        --out) out=$2 ;;
      esac
      shift 2 ;;
    *) die 2 "unknown argument: $1 (see --help)" ;;
  esac
done

for pair in "--batch:$batch" "--size:$size" "--bench-steps:$bench_steps" "--anchor-steps:$anchor_steps" \
  "--time-limit:$time_limit"; do
  positive "${pair%%:*}" "${pair#*:}"
done
if [[ $device =~ ^gpu([0-9]+)$ ]]; then
  gpu_index=${BASH_REMATCH[1]}
elif [[ $device == cpu ]]; then
  gpu_index=""
else
  die 2 "--device must be gpuN or cpu, not '$device'"
fi
declare -A want=()
IFS=',' read -r -a stage_list <<<"$stages"
for s in "${stage_list[@]}"; do
  [[ ",$ALL_STAGES," == *",$s,"* ]] || die 2 "--stages: unknown stage '$s' ($ALL_STAGES)"
  want[$s]=1
done
[[ -z $bundle || -e $bundle ]] || die 2 "--bundle $bundle does not exist"
[[ -z $java_home || -x $java_home/bin/java ]] || die 2 "--java $java_home has no bin/java"
[[ -z $jar || -f $jar ]] || die 2 "--jar $jar does not exist"
[[ -z $djl_src || -d $djl_src ]] || die 2 "--djl-source $djl_src is not a directory"
[[ -z $torch_dir || -d $torch_dir ]] || die 2 "--torch-dir $torch_dir is not a directory"
[[ -z $jni_env || -f $jni_env ]] || die 2 "--jni-env $jni_env does not exist"

# --- is there a GPU? (before anything slow) ----------------------------------------------------------

gpu_name=cpu
if [[ -n $gpu_index ]]; then
  command -v nvidia-smi >/dev/null 2>&1 ||
    die 3 "no GPU here: nvidia-smi is not installed (gpu-check.sh needs a CUDA machine; --device cpu tries the script alone)"
  gpus=$(timeout 20 nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)
  ((gpus > 0)) || die 3 "no GPU here: nvidia-smi lists none"
  ((gpu_index < gpus)) || die 3 "no $device here: nvidia-smi lists $gpus GPU(s)"
  gpu_name=$(timeout 20 nvidia-smi -i "$gpu_index" --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1 | tr ' ' '_')
fi

start=$(date +%s)
deadline=$((start + time_limit))
if [[ -z $work ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")
fi
mkdir -p "$work" && work=$(cd "$work" && pwd)
out=${out:-$work}
mkdir -p "$out" && out=$(cd "$out" && pwd)

# --- the bundle: Java runtime, jar, DJL sources -------------------------------------------------------

if [[ -n $bundle ]]; then
  if [[ -d $bundle ]]; then
    bdir=$(cd "$bundle" && pwd)
  else
    bdir=$work/bundle
    rm -rf "$bdir" && mkdir -p "$bdir"
    # python3's tarfile reads .xz on machines without the xz tool.
    python3 -c "$UNPACK_PY" "$bundle" "$bdir" ||
      die 2 "cannot unpack $bundle"
  fi
  [[ -n $java_home || ! -d $bdir/jre ]] || java_home=$bdir/jre
  [[ -n $jar || ! -f $bdir/mobilevit-gpu.jar ]] || jar=$bdir/mobilevit-gpu.jar
  [[ -n $djl_src || ! -d $bdir/djl ]] || djl_src=$bdir/djl
fi
java_home=${java_home:-${JAVA_HOME:-}}
jar=${jar:-$root/launch/target/mobilevit.jar}
if [[ -n $java_home ]]; then
  java_bin=$java_home/bin/java
else
  java_bin=$(command -v java || true)
fi
[[ -n $java_bin && -x $java_bin ]] || die 2 "no Java runtime: give --bundle or --java DIR"
[[ -f $jar ]] || die 2 "no jar at $jar: give --bundle or --jar FILE"
export MOBILEVIT_JAR=$jar
if [[ -n $java_home ]]; then
  export JAVA_HOME=$java_home
fi

# --- stage bookkeeping ----------------------------------------------------------------------------------

declare -A status=() detail=() took=()
stage_deadline=0

# Runs a command within what is left of the current stage's time box.
tb() {
  local left=$((stage_deadline - $(date +%s)))
  if ((left <= 0)); then
    return 124
  fi
  timeout -k 5 "$left" "$@"
}

# begin NAME BOX: returns 1 (and records why) when the stage is not wanted or no time is left.
begin() {
  local name=$1 box=$2 now left
  if [[ -z ${want[$name]:-} ]]; then
    status[$name]="not run"
    return 1
  fi
  now=$(date +%s)
  left=$((deadline - now))
  if ((left < 20)); then
    status[$name]="skipped"
    detail[$name]="no time left"
    return 1
  fi
  stage_deadline=$((now + (box < left ? box : left)))
  took[$name]=$now
  log "$name ..."
  return 0
}

finish() {
  local name=$1 result=$2
  shift 2
  status[$name]=$result
  detail[$name]="$*"
  took[$name]=$(($(date +%s) - took[$name]))
  log "$name $result${*:+: $*}"
}

# Why a command failed, from its exit code.
why() { if (($1 == 124 || $1 == 137)); then echo "timed out"; else echo "exit $1"; fi; }

# The last name=value line a command printed, and one value from it.
last_kv_line() { grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$1" | tail -n 1 || true; }
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -n 1; }

# MOBILEVIT_LAUNCHER stands in for launch/mobilevit (the tests use a fake one).
mv_cmd=("${MOBILEVIT_LAUNCHER:-$root/launch/mobilevit}")
fixtures=$root/fixtures
weights=$fixtures/weights/xx_small_hf.safetensors

# --- build ---------------------------------------------------------------------------------------------

jni_ok=false
log=$out/build.log
: >"$log"
if [[ -n $jni_env ]]; then
  status[build]="given"
  detail[build]="$jni_env"
  took[build]=0
  jni_env_file=$jni_env
elif begin build 300; then
  jni_env_file=$work/jni.env
  # The toolchain, for reading a failed build without another device call.
  for tool in "nvidia-smi" "nvcc --version" "cmake --version" "c++ --version"; do
    echo "== $tool" >>"$log"
    read -r -a cmd <<<"$tool"
    timeout 20 "${cmd[@]}" >>"$log" 2>&1 || echo "(not available)" >>"$log"
  done
  if [[ -z $torch_dir ]]; then
    torch_dir=$(tb python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))' 2>>"$log" || true)
  fi
  if [[ -z $torch_dir ]]; then
    finish build FAILED "python3 has no PyTorch (give --torch-dir)"
  else
    args=("$torch_dir" --cache "$work/djl-cache" --work "$work/jni-build")
    [[ -z $djl_src ]] || args+=(--source "$djl_src")
    [[ ! -f $java_home/include/jni.h ]] || args+=(--jni-include "$java_home/include")
    args+=("${cmake_pass[@]}")
    if tb bash "$here/build-jni.sh" "${args[@]}" >"$jni_env_file" 2>>"$log"; then
      exports=$(grep '^export ' "$jni_env_file" | sed 's/^export //')
      finish build ok "libtorch $(kv "$exports" PYTORCH_VERSION) $(kv "$exports" PYTORCH_FLAVOR)"
    else
      rc=$?
      [[ ! -f $work/jni-build/build.log ]] || cat "$work/jni-build/build.log" >>"$log"
      finish build FAILED "build-jni.sh $(why "$rc") (see build.log)"
    fi
  fi
fi
if [[ -n ${jni_env_file:-} && -s $jni_env_file ]] && grep -q '^export PYTORCH_LIBRARY_PATH=' "$jni_env_file"; then
  # shellcheck disable=SC1090
  source <(grep '^export ' "$jni_env_file")
  jni_ok=true
fi

# DJL counts GPUs through JNA and the CUDA runtime (libcudart.so); pip's PyTorch brings only a
# versioned libcudart.so.NN, so a link under the plain name goes on jna.library.path.
java_opts="-Xmx16g"
if [[ -n $gpu_index ]]; then
  cudart=$(timeout 60 python3 -c "$CUDART_PY" 2>/dev/null || true)
  if [[ -n $cudart ]]; then
    mkdir -p "$work/jna"
    ln -sf "$cudart" "$work/jna/libcudart.so"
    java_opts+=" -Djna.library.path=$work/jna"
  else
    log "warning: libcudart not found through PyTorch; DJL may see no GPU"
  fi
fi
export MOBILEVIT_JAVA_OPTS="$java_opts ${MOBILEVIT_JAVA_OPTS:-}"

need_jni() {
  if [[ $jni_ok != true ]]; then
    status[$1]="skipped"
    detail[$1]="no JNI library (build stage)"
    return 1
  fi
}

# --- logits --------------------------------------------------------------------------------------------

logits_ok=NA
if [[ -n ${want[logits]:-} ]] && need_jni logits && begin logits 150; then
  log=$out/logits.log
  : >"$log"
  failed=""
  pairs=()
  for input in "$fixtures"/inputs/input_*.npy; do
    name=$(basename "$input" .npy)
    name=${name#input_}
    expected=$fixtures/logits/xx_small_$name.npy
    [[ -f $expected ]] || continue
    echo "== forward $name" >>"$log"
    # NVIDIA_TF32_OVERRIDE=0 turns TF32 off inside cuBLAS and cuDNN: DJL exposes no switch for it.
    if NVIDIA_TF32_OVERRIDE=0 tb "${mv_cmd[@]}" forward --device "$device" --variant xxs --weights "$weights" \
      --input "$input" --output "$work/logits_$name.npy" >>"$log" 2>&1; then
      pairs+=("$work/logits_$name.npy" "$expected")
    else
      failed="forward $name $(why $?)"
      break
    fi
  done
  if [[ -n $failed ]]; then
    logits_ok=false
    finish logits FAILED "$failed (see logits.log)"
  elif ((${#pairs[@]} == 0)); then
    logits_ok=false
    finish logits FAILED "no fixture inputs with logits under $fixtures"
  elif result=$(tb python3 -c "$COMPARE_PY" "${pairs[@]}" 2>>"$log"); then
    logits_ok=${result%% *}
    count=$((${#pairs[@]} / 2))
    if [[ $logits_ok == true ]]; then
      finish logits ok "$count inputs, max |a-b| ${result#* }"
    else
      finish logits FAILED "$count inputs, max |a-b| ${result#* } (see logits.log)"
    fi
  else
    logits_ok=false
    finish logits FAILED "comparison failed (see logits.log)"
  fi
fi

# --- train: the fixture training step on the GPU and on the CPU ---------------------------------------

train_step_ok=NA
if [[ -n ${want[train]:-} ]] && need_jni train && begin train 150; then
  log=$out/train.log
  : >"$log"
  overfit=(overfit --variant xxs --weights "$weights"
    --input "$fixtures/training/xx_small_train_input_b4_256x256.npy"
    --labels "$fixtures/training/xx_small_train_labels.npy" --steps 4)
  echo "== overfit on $device" >>"$log"
  if NVIDIA_TF32_OVERRIDE=0 tb "${mv_cmd[@]}" "${overfit[@]}" --device "$device" >"$work/train_dev.txt" 2>>"$log"; then
    cat "$work/train_dev.txt" >>"$log"
    echo "== overfit on cpu" >>"$log"
    if tb "${mv_cmd[@]}" "${overfit[@]}" >"$work/train_cpu.txt" 2>>"$log"; then
      cat "$work/train_cpu.txt" >>"$log"
      result=$(awk '
        FNR == 1 { file++ }
        /^step [0-9]+ loss / { loss[file, $2] = $4; n[file]++ }
        END {
          if (n[1] == 0 || n[1] != n[2]) { print "false NA"; exit }
          worst = 0
          for (k = 1; k <= n[1]; k++) {
            d = loss[1, k] - loss[2, k]; if (d < 0) d = -d
            if (d > worst) worst = d
          }
          printf "%s %.3g %d\n", (worst <= 1e-3 ? "true" : "false"), worst, n[1]
        }' "$work/train_dev.txt" "$work/train_cpu.txt")
      train_step_ok=${result%% *}
      rest=${result#* }
      if [[ $train_step_ok == true ]]; then
        finish train ok "${rest#* } steps, max |loss diff| ${rest%% *}"
      else
        finish train FAILED "losses differ: max ${rest%% *} (see train.log)"
      fi
    else
      train_step_ok=false
      finish train FAILED "overfit on cpu $(why $?) (see train.log)"
    fi
  else
    rc=$?
    cat "$work/train_dev.txt" >>"$log"
    train_step_ok=false
    finish train FAILED "overfit on $device $(why "$rc") (see train.log)"
  fi
fi

# --- bench-train: our training step -----------------------------------------------------------------------

ours_train_img_s=NA
if [[ -n ${want[bench-train]:-} ]] && need_jni bench-train && begin bench-train 180; then
  log=$out/bench-train.log
  if tb "${mv_cmd[@]}" bench train --devices "$device" --variant xxs --batch "$batch" --size "$size" \
    --steps "$bench_steps" >"$log" 2>&1; then
    ours_train_img_s=$(kv "$(last_kv_line "$log")" train_img_s)
    ours_train_img_s=${ours_train_img_s:-NA}
    finish bench-train ok "train_img_s=$ours_train_img_s"
  else
    finish bench-train FAILED "$(why $?) (see bench-train.log)"
  fi
fi

# --- anchor: PyTorch eager on the same card --------------------------------------------------------------

torch_train_img_s=NA
if begin anchor 150; then
  log=$out/anchor.log
  anchor_device=cpu
  [[ -z $gpu_index ]] || anchor_device=cuda:$gpu_index
  if tb python3 "$here/torch_step.py" --device "$anchor_device" --batch "$batch" --size "$size" \
    --warmup 10 --steps "$anchor_steps" >"$log" 2>&1; then
    line=$(last_kv_line "$log")
    torch_train_img_s=$(kv "$line" torch_train_img_s)
    torch_train_img_s=${torch_train_img_s:-NA}
    if [[ $torch_train_img_s == NA ]]; then
      finish anchor skipped "$(grep -m 1 '^skip:' "$log" || echo 'no result') (see anchor.log)"
    else
      finish anchor ok "$(kv "$line" model) torch_train_img_s=$torch_train_img_s"
    fi
  else
    finish anchor FAILED "$(why $?) (see anchor.log)"
  fi
fi

# --- bench-model ----------------------------------------------------------------------------------------

model_forward_img_s=NA model_train_img_s=NA
if [[ -n ${want[bench-model]:-} ]] && need_jni bench-model && begin bench-model 120; then
  log=$out/bench-model.log
  if tb "${mv_cmd[@]}" bench model --device "$device" --variant xxs --batch "$batch" --size "$size" >"$log" 2>&1; then
    line=$(last_kv_line "$log")
    model_forward_img_s=$(kv "$line" forward_img_s)
    model_train_img_s=$(kv "$line" train_img_s)
    # the same in PyTorch's default layout: channels-last (train.memory_format's default) is
    # measured faster on CPUs only
    contiguous_train_img_s=NA
    if tb "${mv_cmd[@]}" bench model --device "$device" --variant xxs --batch "$batch" --size "$size" \
      --memory-format contiguous >"$out/bench-model-contiguous.log" 2>&1; then
      contiguous_train_img_s=$(kv "$(last_kv_line "$out/bench-model-contiguous.log")" train_img_s)
    fi
    finish bench-model ok "forward_img_s=${model_forward_img_s:-NA} fwd+bwd train_img_s=${model_train_img_s:-NA}" \
      "(channels_last; contiguous: ${contiguous_train_img_s:-NA})"
  else
    finish bench-model FAILED "$(why $?) (see bench-model.log)"
  fi
fi

# --- summary --------------------------------------------------------------------------------------------

ratio=NA
if [[ $ours_train_img_s =~ ^[0-9.]+$ && $torch_train_img_s =~ ^[0-9.]+$ ]]; then
  ratio=$(awk -v a="$ours_train_img_s" -v b="$torch_train_img_s" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "NA" }')
fi
elapsed=$(($(date +%s) - start))
all_ok=true
for s in ${ALL_STAGES//,/ }; do
  case ${status[$s]:-not run} in ok | given | "not run") ;; *) all_ok=false ;; esac
done
{
  printf '%-12s %-8s %7s  %s\n' stage status seconds detail
  for s in ${ALL_STAGES//,/ }; do
    printf '%-12s %-8s %7s  %s\n' "$s" "${status[$s]:-not run}" "${took[$s]:--}" "${detail[$s]:-}"
  done
  echo "ours_train_img_s=$ours_train_img_s torch_train_img_s=$torch_train_img_s ratio=$ratio" \
    "logits_ok=$logits_ok train_step_ok=$train_step_ok jni_ok=$jni_ok" \
    "model_forward_img_s=${model_forward_img_s:-NA} model_fwd_bwd_img_s=${model_train_img_s:-NA}" \
    "device=$device gpu=$gpu_name batch=$batch size=$size elapsed_s=$elapsed all_ok=$all_ok"
} | tee "$out/summary.txt"
[[ $all_ok == true ]]
