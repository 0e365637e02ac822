#!/bin/bash
# The GPU paths in one call (round 6): the batched backend's tests (the CUDA-graph test runs only
# on a GPU), `palabra2vec train --device cuda` on Don Quijote, and benchmarks/gpu.py (the batched
# default, seed 1, and the readable torch backend's variants).
#
#   DATA=DIR bash benchmarks/gpu_check.sh
#
# DATA holds corpus-es.txt.gz (the pre-tokenized corpus of compare_gensim.py), eval/ (MSL.txt,
# ES_SEMEVAL17.txt, analogy/GA*.txt from ../shared/data/eval/es) and shared/data/quijote/pg2000.txt.
# On the device machine it travels as an ignored folder of the checkout (bench-data/).
DATA=${DATA:-bench-data}
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD PALABRA2VEC_SHARED_DATA=$PWD/$DATA/shared/data \
  PALABRA2VEC_DATA=$PWD/$DATA/shared/data/quijote NUMBA_CACHE_DIR=/tmp/nb PALABRA2VEC_CACHE=/tmp/p2vcache
nvidia-smi -L; python3 -c "import torch,numba,numpy;print('torch',torch.__version__,'numba',numba.__version__,'numpy',numpy.__version__)"
echo "== 1. tests of the batched backend (the CUDA-graph test runs here)"
timeout 120 python3 -m pytest -q -p no:cacheprovider tests/test_batched.py 2>&1 | tail -4
echo "== 2. the CLI on the GPU: Don Quijote, auto backend (batched), then similar"
/usr/bin/time -f "train wall %e s, max RSS %M KB" timeout 120 python3 -m palabra2vec train --device cuda --no-plot -q -o /tmp/m1 2>&1 | tail -5
python3 -m palabra2vec similar /tmp/m1 caballero escudero 2>&1 | head -14
echo "== 3. gpu.py: the batched default, seed 1, and the readable variants on 20,000 words"
timeout 300 python3 benchmarks/gpu.py --seed 1 --corpus $DATA/corpus-es.txt.gz --eval-dir $DATA/eval \
  --readable-words 20000 --readable words,subwords,cbow,hs,subwords-cbow-hs --runs batched:16384:512:sum-eff \
  ${OUT:+--out $OUT} 2>&1 | tail -16
