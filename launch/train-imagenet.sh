#!/usr/bin/env bash
# launch/train-imagenet.sh: the paper's ImageNet-1k pretraining on 8 GPUs.
#   launch/train-imagenet.sh /data/imagenet [xxs|xs|s] [more train options, e.g. --devices gpu0-3]
# IMAGENET_DIR holds train/<wnid>/*.JPEG and val/<wnid>/*.JPEG. The run folder is
# runs/mobilevit_<variant>-imagenet; running the same command again resumes it.
# GPU natives: see docs/gpus.md (PYTORCH_FLAVOR, or launch/build-jni.sh offline).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=lib.sh
source "$here/lib.sh"

if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  [[ $# -lt 1 ]] && exit 2 || exit 0
fi
data="$1"
variant="${2:-xxs}"
shift $(( $# >= 2 ? 2 : 1 ))

case "$variant" in
  xxs|xs|s) ;;
  *) die 2 "unknown variant '$variant' (expected xxs, xs or s)" ;;
esac
for split in train val; do
  [[ -d "$data/$split" ]] || die 2 "$data/$split does not exist (expected an ImageNet folder with train/ and val/)"
done

# Eight batches of 128 x 3 x 320 x 320 floats in flight need a few GB of heap besides the model.
export MOBILEVIT_JAVA_OPTS="${MOBILEVIT_JAVA_OPTS:--Xmx48g}"
# the recipe says devices: gpu0-7; a --devices among the options overrides it
exec "$here/mobilevit" train --config "$root/configs/mobilevit_${variant}.yaml" --data "$data" \
  --output "${MOBILEVIT_RUN_DIR:-runs/mobilevit_${variant}-imagenet}" "$@"
