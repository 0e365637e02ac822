"""Write (and with ``--execute`` run) the Spanish tutorial notebook entrenamiento_word2vec.ipynb.

The notebook's cells live here, as plain text that diffs well; the ``.ipynb`` beside this file is
generated from them. Edit the cells here, then regenerate the notebook with its outputs:

    PALABRA2VEC_DATA=../shared/data/quijote PALABRA2VEC_EVAL=../shared/data/eval/es \\
        .venv/bin/python docs/tutorial/make_notebook.py --execute

Without ``--execute`` the notebook is written without outputs. ``tests/test_tutorial.py`` runs
the stored notebook with nbclient and fails if any cell raises.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "entrenamiento_word2vec.ipynb"

CELLS: list[tuple[str, str]] = []


def md(text: str) -> None:
    CELLS.append(("md", text.strip("\n")))


def code(text: str) -> None:
    CELLS.append(("code", text.strip("\n")))


# ------------------------------------------------------------------------------------------------
md(r"""
# Implementación del entrenamiento de word2vec, con palabra2vec

Este cuaderno cuenta otra vez la lección *Implementación del Entrenamiento de Word2Vec* (el
capítulo «Pretraining word2vec» de [d2l.ai](https://d2l.ai) aplicado al *Quijote*), paso a paso,
pero con las funciones de la biblioteca [palabra2vec](../../README.es.md). Cada paso es una función
pequeña y probada que se puede leer; al final entrenamos también con la ruta rápida (un núcleo
compilado con Numba) y usamos los vectores: palabras cercanas, analogías, un mapa y una evaluación.

**La idea de word2vec.** Una palabra se conoce por sus compañías: palabras que aparecen en
contextos parecidos deben tener vectores parecidos. El modelo *skip-gram* aprende, para cada
palabra central, a predecir las palabras de su alrededor; con *muestreo negativo* esa predicción se
convierte en muchas preguntas de sí o no («¿es `escudero` un contexto real de `caballero`, o una
palabra sacada al azar?»), que son baratas de responder.

Referencias:

- T. Mikolov, K. Chen, G. Corrado, J. Dean (2013). *Efficient Estimation of Word Representations in
  Vector Space*. arXiv:1301.3781. (skip-gram, CBOW y las analogías)
- T. Mikolov, I. Sutskever, K. Chen, G. Corrado, J. Dean (2013). *Distributed Representations of
  Words and Phrases and their Compositionality*. NeurIPS. arXiv:1310.4546. (muestreo negativo y
  submuestreo de palabras frecuentes)
- Y. Goldberg, O. Levy (2014). *word2vec Explained: deriving Mikolov et al.'s negative-sampling
  word-embedding method*. arXiv:1402.3722.
- A. Zhang, Z. C. Lipton, M. Li, A. J. Smola. *Dive into Deep Learning*, §15.3 «The Dataset for
  Pretraining Word Embeddings» y §15.4 «Pretraining word2vec». https://d2l.ai

**Tiempo.** Con el libro en disco, el cuaderno entero corre en unos dos minutos en una máquina de 2
núcleos. Para eso el paso de entrenamiento «legible» (PyTorch puro) hace **5 épocas en lugar de
las 20 del cuaderno original**; la ruta rápida sí hace 20.
""")

md(r"""
## 0. Preparación

`quijote_path()` devuelve la ruta del libro (Project Gutenberg, eBook #2000): una copia local si la
variable de entorno `PALABRA2VEC_DATA` apunta a una carpeta con `pg2000.txt`; si no, la copia en
caché, o lo descarga una vez (unos 2,2 MB) y comprueba que es el libro correcto. Cada paso aleatorio
recibe una semilla, así que el cuaderno da los mismos números cada vez que se ejecuta.

En Colab o en otro Jupyter, instala antes palabra2vec (por ejemplo `!pip install -e .` en una copia
del repositorio); PyTorch, NumPy y matplotlib ya suelen estar.
""")

code(r"""
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import palabra2vec
from palabra2vec import Corpus, TrainConfig, Vocab, Word2Vec, WordVectors, plots, tokenize_spanish
from palabra2vec.text.datasets import quijote_path
from palabra2vec.text.encoded import encode_corpus
from palabra2vec.training import batches, sampling
from palabra2vec.training.model import SkipGram, masked_bce_loss
from palabra2vec.training.training_log import TrainingLog
from palabra2vec.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs

warnings.filterwarnings("ignore", message="IProgress not found")  # Jupyter sin ipywidgets: la barra de progreso en texto basta

SEMILLA = 1
rng = np.random.default_rng(SEMILLA)  # un generador para todos los pasos aleatorios de la lección

libro = quijote_path()
print(f"palabra2vec {palabra2vec.__version__}; libro: {libro.name}, {libro.stat().st_size:,} bytes")
""")

# ------------------------------------------------------------------------------------------------
md(r"""
## 1. Leer el libro

El cuaderno original se salta las 28 primeras líneas del archivo (la cabecera de Project Gutenberg)
y parte cada línea por los espacios en blanco: cada línea es una «oración», una lista de tokens.
`Corpus(..., tokenizer="notebook")` hace exactamente esa lectura, para poder comparar las cifras.
""")

code(r"""
oraciones = list(Corpus([libro], tokenizer="notebook"))
n_tokens = sum(len(o) for o in oraciones)
print(f"{len(oraciones):,} oraciones (líneas no vacías), {n_tokens:,} tokens")
for o in oraciones[:3]:
    print(o)
""")

md(r"""
Esa lectura tiene un defecto: `día` y `día,` son tokens distintos, y `Quijote` no es `quijote`. El
tokenizador por defecto de palabra2vec (`spanish`) quita la cabecera y el pie de Gutenberg, pasa a
minúsculas, conserva tildes, ñ y ü, quita la puntuación (¿ ¡ « » —) y corta las oraciones en `. ! ? …`:
""")

code(r"""
texto = ("En un lugar de la Mancha, de cuyo nombre no quiero acordarme, no ha mucho tiempo "
         "que vivía un hidalgo de los de lanza en astillero. ¿Quién lo diría?")
print("split():        ", texto.split())
print("tokenize_spanish:", tokenize_spanish(texto))
""")

md(r"""
En los pasos 2 a 9 seguimos con la lectura del cuaderno, para reconocer sus números; la ruta rápida
del paso 10 usa el tokenizador `spanish`.

## 2. El vocabulario

Contamos cada token y nos quedamos con los que aparecen al menos `min_count` = 10 veces. ¿Por qué
descartar las palabras raras? Una palabra vista dos veces tiene demasiado pocos contextos para
aprender un vector fiable, y son muchísimas: quitarlas achica mucho las tablas del modelo. Los ids
se asignan por frecuencia, de la más frecuente (id 0) a la menos.
""")

code(r"""
todas = Vocab.build(oraciones, min_count=1)
vocab = Vocab.build(oraciones, min_count=10)
print(f"tokens distintos: {len(todas):,}")
print(f"con frecuencia >= 10: {len(vocab):,} palabras, que cubren {vocab.total:,} de los {n_tokens:,} tokens")
print("las 10 más frecuentes:", ", ".join(f"{w} {c:,}" for w, c in vocab.most_common(10)))

corpus_ids = [vocab.encode(o) for o in oraciones]  # cada oración como lista de ids; fuera las palabras raras
print(oraciones[1], "->", corpus_ids[1])
""")

# ------------------------------------------------------------------------------------------------
md(r"""
## 3. Submuestreo de las palabras frecuentes

«que», «de» o «y» aparecen en casi todas las ventanas y dicen poco de sus vecinas; además se llevan
la mayor parte del cómputo. Mikolov et al. (2013, §2.3) descartan cada aparición de una palabra *w*
con probabilidad

$$P_{\text{descartar}}(w) = \max\left(1 - \sqrt{\frac{t}{f(w)}},\ 0\right),$$

donde $f(w)$ es la frecuencia relativa de *w* y $t = 10^{-4}$. Las palabras con $f(w) \le t$ no se
tocan nunca. (word2vec.c y gensim usan otra fórmula, que conserva un poco más:
`formula="word2vec"`, la opción por defecto de palabra2vec; aquí usamos la del artículo, como el
cuaderno.)
""")

code(r"""
conservar = sampling.keep_probabilities(vocab.counts, sample=1e-4, formula="notebook")
submuestreado = sampling.subsample_sentences(corpus_ids, conservar, rng)

def contar(corpus, palabra):
    i = vocab[palabra]
    return sum(o.count(i) for o in corpus)

for palabra in ["que", "mesa"]:
    print(f"{palabra}: {contar(corpus_ids, palabra):,} -> {contar(submuestreado, palabra):,} "
          f"(probabilidad de conservarla {conservar[vocab[palabra]]:.4f})")
print(f"tokens: {sum(map(len, corpus_ids)):,} -> {sum(map(len, submuestreado)):,}")
""")

md(r"""
Un detalle del cuaderno original: calculaba $f(w)$ sobre **todos** los tokens del libro (también los
que luego no entran en el vocabulario), así que «que» se conservaba con probabilidad 0,0446 en lugar de
0,0405. palabra2vec, como word2vec.c, cuenta $f(w)$ sobre los tokens del vocabulario. Con la
función de la biblioteca se ven las dos:
""")

code(r"""
notebook = sampling.keep_probabilities(todas.counts, sample=1e-4, formula="notebook")[todas["que"]]
print(f"«que»: f sobre todos los tokens -> {notebook:.4f}; f sobre el vocabulario -> {conservar[vocab['que']]:.4f}")
""")

md(r"""
El histograma de tokens por oración antes y después del submuestreo (la figura del cuaderno):
las oraciones se acortan mucho, porque desaparecen la mayoría de las palabras frecuentes.
`plots.lengths` trabaja sobre el corpus codificado en disco (`encode_corpus`, el mismo formato que
usa el entrenamiento) y devuelve una figura de matplotlib.
""")

code(r"""
vocab_disco, codificado = encode_corpus(Corpus([libro], tokenizer="notebook"), min_count=10)
plots.lengths(codificado, vocab_disco, sample=1e-4, formula="notebook", seed=SEMILLA, size=(760, 420), dpi=80)
""")

# ------------------------------------------------------------------------------------------------
md(r"""
## 4. Palabras centrales y contextos

Cada token de una oración con al menos 2 tokens es una palabra central. Para cada una se sortea un
tamaño de ventana entre 1 y `max_window` (5), y sus contextos son los tokens de **la misma oración**
que están a esa distancia o menos. Sortear la ventana da más peso a los vecinos cercanos, que
entran casi siempre, que a los lejanos (word2vec.c hace lo mismo).

Primero un ejemplo diminuto: dos «oraciones», `[0..6]` y `[7, 8, 9]`, con ventana máxima 2. Cada
centro recibe entre 1 y 4 contextos, nunca de la otra oración.
""")

code(r"""
mini = [list(range(7)), list(range(7, 10))]
print("conjunto de datos", mini)
centros, contextos = sampling.centers_and_contexts(mini, max_window=2, rng=np.random.default_rng(SEMILLA))
for centro, ctx in zip(centros, contextos):
    print("centro", centro, "tiene contextos", ctx)
""")

code(r"""
todos_centros, todos_contextos = sampling.centers_and_contexts(submuestreado, max_window=5, rng=rng)
print(f"{len(todos_centros):,} palabras centrales, {sum(map(len, todos_contextos)):,} pares centro-contexto")
""")

md(r"""
(El cuaderno original obtenía unos 303 mil pares: con $f(w)$ sobre todos los tokens el submuestreo
conserva algo más.)

## 5. Muestreo negativo

Para cada par (centro, contexto) real sacamos K = 5 palabras «de ruido», que el modelo debe aprender
a rechazar. Se sacan con probabilidad proporcional a $\text{count}(w)^{0.75}$ (Mikolov et al. 2013,
§2.2): el exponente 0,75 aplana la distribución, así que las palabras raras salen más a menudo que
con su frecuencia real y las muy frecuentes, menos. Una palabra de ruido nunca es uno de los
contextos reales del centro. `NoiseDistribution` sortea con el método de alias de Walker (Vose 1991):
cada sorteo cuesta O(1), sea cual sea el tamaño del vocabulario.
""")

code(r"""
ruido = sampling.NoiseDistribution(vocab.counts, exponent=0.75)
f = vocab.frequencies()
for palabra in ["que", "caballero", "mesa"]:
    i = vocab[palabra]
    print(f"{palabra:10s} frecuencia {f[i]:.4%}  ->  probabilidad como ruido {ruido.probabilities[i]:.4%}")
print("10 sorteos:", [vocab.index_to_key[i] for i in ruido.sample(10, np.random.default_rng(SEMILLA))])
""")

code(r"""
t0 = time.perf_counter()
todos_negativos = sampling.get_negatives(todos_contextos, ruido, K=5, rng=rng)
print(f"{sum(map(len, todos_negativos)):,} palabras de ruido en {time.perf_counter() - t0:.1f} s")
print("centro", vocab.index_to_key[todos_centros[0]],
      "| contextos", [vocab.index_to_key[i] for i in todos_contextos[0]],
      "| ruido", [vocab.index_to_key[i] for i in todos_negativos[0][:5]], "...")
""")

md(r"""
(Otra peculiaridad del cuaderno original: su vocabulario no tenía entrada `<unk>`, pero el
muestreador se saltaba el id 0 como si la tuviera, así que «que» nunca salía como ruido. Aquí sí
puede salir.)

## 6. Minilotes con relleno, máscara y etiquetas

Cada ejemplo es (centro, contextos, negativos), y cada uno tiene una longitud distinta. Para
procesar 512 ejemplos a la vez en un tensor, `batchify` concatena `contextos + negativos` y los
rellena con 0 hasta la longitud del más largo. La `mask` dice qué posiciones son reales (1) y cuáles
relleno (0), y las `labels` dicen qué posiciones son contextos (1) y cuáles ruido o relleno (0).
""")

code(r"""
ejemplo = batches.batchify([(1, [2, 2], [3, 3, 3, 3]), (1, [2, 2, 2], [3, 3])])
for nombre, tensor in zip(ejemplo._fields, ejemplo):
    print(f"{nombre:18s} = {tensor.tolist()}")
""")

code(r"""
ejemplos = list(zip(todos_centros, todos_contextos, todos_negativos))

def minilotes(ejemplos, tam_lote, rng):
    # Los ejemplos en un orden nuevo en cada época, de tam_lote en tam_lote (el DataLoader del cuaderno).
    orden = rng.permutation(len(ejemplos))
    for i in range(0, len(orden), tam_lote):
        yield batches.batchify([ejemplos[j] for j in orden[i:i + tam_lote]])

lote = next(minilotes(ejemplos, 512, np.random.default_rng(SEMILLA)))
for nombre, tensor in zip(lote._fields, lote):
    print(f"{nombre:18s} forma {tuple(tensor.shape)}")
""")

# ------------------------------------------------------------------------------------------------
md(r"""
## 7. El modelo `SkipGram`

Dos tablas de vectores (embeddings) de dimensión 100: `input`, para las palabras cuando son
centro, y `output`, para cuando son contexto o ruido. La puntuación de un centro *c* con una
palabra *o* es el producto escalar $\mathbf{v}_c \cdot \mathbf{u}_o$; para un minilote entero se
calculan todas a la vez con una multiplicación de matrices por lotes (`torch.bmm`):
(B, 1, D) × (B, D, L) → (B, 1, L).
""")

code(r"""
modelo = SkipGram(len(vocab), 100)
print(modelo)
puntuaciones = modelo(ejemplo.centers, ejemplo.contexts_negatives)
print("centros", tuple(ejemplo.centers.shape), "x contextos/ruido", tuple(ejemplo.contexts_negatives.shape),
      "-> puntuaciones", tuple(puntuaciones.shape))
""")

md(r"""
## 8. La pérdida con máscara

Cada posición es una pregunta de sí o no: la probabilidad de «sí, es un contexto real» es
$\sigma(\mathbf{v}_c \cdot \mathbf{u}_o)$. La pérdida es la entropía cruzada binaria

$$\ell(s, y) = -\left[\,y \log \sigma(s) + (1 - y) \log \sigma(-s)\,\right],$$

con $y = 1$ para los contextos y $y = 0$ para el ruido; las posiciones de relleno (máscara 0) no
cuentan, y cada ejemplo promedia sobre sus posiciones reales. Comprobación con los números del
cuaderno, y la misma cuenta a mano:
""")

code(r"""
s = torch.tensor([[1.1, -2.2, 3.3, -4.4]] * 2)
y = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
m = torch.tensor([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0]])
print("masked_bce_loss:", masked_bce_loss(s, y, m))

def sigmoide(x):
    return 1 / (1 + np.exp(-np.asarray(x)))

print(f"a mano: {-np.mean(np.log(sigmoide([1.1, 2.2, -3.3, 4.4]))):.4f}, "
      f"{-np.mean(np.log(sigmoide([-1.1, -2.2]))):.4f}")
""")

# ------------------------------------------------------------------------------------------------
md(r"""
## 9. Entrenar: la ruta legible (PyTorch, Adam)

El bucle de entrenamiento del cuaderno, escrito aquí entero: las tablas empiezan con la
inicialización de Xavier (Glorot y Bengio 2010), el optimizador es Adam (Kingma y Ba 2015) con
tasa de aprendizaje 0,002, y los minilotes son de 512 ejemplos. Como en el cuaderno, los pares,
contextos y negativos se sortearon una sola vez (pasos 3 a 5) y se reutilizan en cada época; solo
cambia el orden.

**5 épocas en lugar de 20**, para que el cuaderno corra en pocos minutos; la pérdida sigue bajando
después. Usamos un solo hilo de PyTorch: con matrices tan pequeñas, en nuestra máquina de 2
núcleos compartida, coordinar dos hilos costaba más de lo que ahorraba.
""")

code(r"""
torch.set_num_threads(1)
EPOCAS = 5  # el cuaderno original: 20

modelo = SkipGram(len(vocab), 100)
modelo.reset_parameters("xavier", generator=torch.Generator().manual_seed(SEMILLA))
optimizador = torch.optim.Adam(modelo.parameters(), lr=0.002)
rng_lotes = np.random.default_rng(SEMILLA)

t0 = time.perf_counter()
for epoca in range(1, EPOCAS + 1):
    suma, n = 0.0, 0
    for lote in minilotes(ejemplos, 512, rng_lotes):
        optimizador.zero_grad()
        puntuaciones = modelo(lote.centers, lote.contexts_negatives)  # (B, 1, L)
        perdida = masked_bce_loss(puntuaciones, lote.labels, lote.mask)  # (B,) una por ejemplo
        perdida.sum().backward()
        optimizador.step()
        suma, n = suma + perdida.sum().item(), n + perdida.numel()
    segundos = time.perf_counter() - t0
    print(f"época {epoca}: pérdida {suma / n:.3f}, {epoca * n_tokens / segundos:,.0f} palabras del corpus/s")
""")

md(r"""
Los vectores de palabra son las filas de la tabla `input`. `WordVectors` los envuelve con las
consultas de gensim (`most_similar`, `similarity`, ...):
""")

code(r"""
legibles = WordVectors(modelo.input.weight.detach().numpy(), vocab.index_to_key, vocab.counts)
for palabra in ["día", "caballero"]:
    print(palabra, "->", ", ".join(f"{w} {s:.2f}" for w, s in legibles.most_similar(palabra, topn=5)))
""")

md(r"""
(El cuaderno original llegó a una pérdida de 0,321 tras sus 20 épocas.) Con 5 épocas y la lectura del cuaderno, las vecinas ya tienen algo de sentido, pero se ve el defecto
del paso 1: entre ellas aparecen la misma palabra con puntuación pegada (`caballero,`) y otros
tokens que el tokenizador `spanish` habría unido.

Este mismo camino está en la biblioteca como *backend* `torch`: `Word2Vec.train(None,
preset("notebook"))` o, en la terminal, `palabra2vec train --preset notebook -o modelo` (20 épocas,
como el cuaderno). Corre también en GPU (`device="cuda"`).

## 10. Entrenar: la ruta rápida

Para corpus de verdad, palabra2vec tiene un núcleo compilado con Numba: SGD sobre la misma pérdida,
con la tasa de aprendizaje decreciente de word2vec.c, los negativos compartidos por la ventana de
un centro (HogBatch, Ji et al. 2016) y varios hilos. Sortea de nuevo el submuestreo, las ventanas y
los negativos en cada época y lee el corpus codificado desde el disco, así que la memoria no crece
con el corpus. `Word2Vec.train(None, ...)` entrena con el *Quijote* y las opciones por defecto: el
tokenizador `spanish`, `min_count` 5 y, para el libro, 20 épocas. La primera vez compila el núcleo
(unos segundos; luego queda en caché). `TrainingLog` guarda la pérdida y la velocidad mientras entrena.
""")

code(r"""
carpeta = Path(tempfile.mkdtemp(prefix="quijote-"))
config = TrainConfig(epochs=20, seed=SEMILLA)
t0 = time.perf_counter()
w2v = Word2Vec.train(None, config, callbacks=[TrainingLog(carpeta)], progress=False)
total = time.perf_counter() - t0
info = w2v.info
print(w2v)
print(f"{info['corpus_words']:,} palabras del corpus x {info['epochs_done']} épocas en {total:.1f} s "
      f"(entrenamiento {info['seconds_train']:.1f} s, {info['words_per_second_train']:,.0f} palabras/s, "
      f"backend {info['backend']}, {info['threads']} hilos); pérdida final {info['final_loss']:.4f}")
""")

md(r"""
La pérdida por época y la velocidad, leídas del registro. La pérdida cae deprisa en la primera
época y luego baja despacio; la primera época es también la más lenta, porque incluye la
compilación del núcleo la primera vez.
""")

code(r"""
plots.loss(carpeta, size=(760, 520), dpi=80)
""")

# ------------------------------------------------------------------------------------------------
md(r"""
## 11. Palabras cercanas

La similitud coseno de dos vectores es el coseno del ángulo que forman:
$\cos(\mathbf{a}, \mathbf{b}) = \frac{\mathbf{a} \cdot \mathbf{b}}{\|\mathbf{a}\|\,\|\mathbf{b}\|}$;
no depende de la longitud de los vectores, solo de su dirección. Las palabras más cercanas a una
consulta son las de mayor coseno.
""")

code(r"""
wv = w2v.wv
a, b = wv["caballero"], wv["escudero"]
print(f"coseno a mano {a @ b / (np.linalg.norm(a) * np.linalg.norm(b)):.4f}; "
      f"wv.similarity {wv.similarity('caballero', 'escudero'):.4f}")
for palabra in ["día", "caballero", "sancho", "dulcinea"]:
    print(f"{palabra:>10s} ->", ", ".join(f"{w} {s:.2f}" for w, s in wv.most_similar(palabra, topn=5)))
""")

md(r"""
## 12. Analogías

«*a* es a *b* como *c* es a ?»: buscamos la palabra más cercana a $\mathbf{b} - \mathbf{a} +
\mathbf{c}$ (3CosAdd; Mikolov, Yih y Zweig 2013), sin contar las tres de la pregunta. 3CosMul
(Levy y Goldberg 2014) combina los cosenos multiplicando en lugar de sumando. Con un solo libro las
analogías son frágiles: hay pocas parejas que se repitan tanto como caballero/escudero.
""")

code(r"""
print("caballero : escudero :: don : ?")
print("  3CosAdd:", wv.analogy("caballero", "escudero", "don", topn=3))
print("  3CosMul:", wv.analogy("caballero", "escudero", "don", topn=3, method="mul"))
print("lo mismo con most_similar:", wv.most_similar(positive=["escudero", "don"], negative=["caballero"], topn=1))
""")

md(r"""
## 13. El mapa de palabras

Cinco palabras y sus ocho vecinas más cercanas, proyectadas sobre las dos primeras componentes
principales (PCA) de sus vectores normalizados. Una proyección a 2 dimensiones pierde mucho de lo
que hay en 100, pero los grupos de vecinas suelen verse.
""")

code(r"""
plots.words(wv, ["día", "caballero", "sancho", "dulcinea", "mano"], neighbours=8, size=(860, 640), dpi=80)
""")

# ------------------------------------------------------------------------------------------------
md(r"""
## 14. Evaluación con los conjuntos en español

Dos tipos de prueba:

- **Similitud**: pares de palabras con una puntuación humana; se mide la correlación de Spearman
  entre esas puntuaciones y los cosenos del modelo. Conjuntos: Multi-SimLex (Vulić et al. 2020),
  SemEval-2017 Tarea 2 (Camacho-Collados et al. 2017) y WordSim-353 traducido (Hassan y Mihalcea 2009).
- **Analogías**: las preguntas de Google (Mikolov et al. 2013) traducidas al español (Cardellino),
  respondidas con 3CosAdd; se mide la proporción de aciertos.

Las reglas son las de gensim (`evaluate_word_pairs`, `evaluate_word_analogies`), y la *cobertura*
dice cuántos pares o preguntas se pudieron usar: una novela de 1605 no habla de capitales ni de
monedas, así que la cobertura es baja y las cifras dicen poco. Para resultados útiles hay que entrenar
con un corpus grande.

Los conjuntos no vienen con palabra2vec: la variable `PALABRA2VEC_EVAL` debe apuntar a una carpeta
con `muse/ES_*.txt` (de facebookresearch/MUSE) y `rukua95/MSL.txt` y `rukua95/analogy/GA*.txt` (de
Rukua95/Spanish_Word_Embedding_Evaluations). Sin ella, esta celda lo dice y no hace nada.
""")

code(r"""
EVAL = Path(os.environ.get("PALABRA2VEC_EVAL", "evaluacion-es"))
if not EVAL.is_dir():
    print(f"no encuentro los conjuntos de evaluación en {EVAL}: define PALABRA2VEC_EVAL para usarlos")
else:
    for ruta in [EVAL / "rukua95" / "MSL.txt", EVAL / "muse" / "ES_SEMEVAL17.txt", EVAL / "muse" / "ES_WS-353.txt"]:
        r = evaluate_word_pairs(wv, ruta)
        print(f"{ruta.name:18s} spearman {r.spearman:7.4f}   pares {r.pairs_used:4d}/{r.pairs_total:<5d} cobertura {r.coverage:6.1%}")
    correctas = respondidas = total_preguntas = 0
    for ruta in sorted((EVAL / "rukua95" / "analogy").glob("GA*.txt")):
        r = evaluate_word_analogies(wv, ruta).overall
        correctas, respondidas, total_preguntas = correctas + r.correct, respondidas + r.answered, total_preguntas + r.total
    print(f"analogías GA01-GA12 (3CosAdd): {correctas}/{respondidas} aciertos "
          f"({correctas / max(respondidas, 1):.1%}), cobertura {respondidas / total_preguntas:.1%} de {total_preguntas:,} preguntas")
""")

md(r"""
## 15. Lo que sigue

- **Subpalabras** (el modelo de fastText; Bojanowski et al. 2017, *Enriching Word Vectors with
  Subword Information*): el vector de una palabra como la media del suyo y los de sus n-gramas de
  caracteres. En español la morfología vive dentro de las palabras (*caballero, caballeros,
  caballería*), y las subpalabras dan vectores incluso a palabras que no se vieron al entrenar:
  `palabra2vec train --subwords` (ver la sección «Subwords» del README).
- **Un explorador en el navegador** para consultar vecinas, analogías y el mapa de un modelo sin
  escribir código: `pip install -e ".[serve]"` y `palabra2vec serve quijote-model`.
- **CBOW y softmax jerárquico** (`--model cbow`, `--hs`) y **frases** (`palabra2vec phrases`:
  *sancho_panza* como una sola palabra).

Todo lo de este cuaderno está también en la terminal:

```bash
palabra2vec train --output quijote-model              # la ruta rápida del paso 10
palabra2vec similar quijote-model día caballero --topn 5
palabra2vec analogy quijote-model caballero escudero don
palabra2vec plot words quijote-model día caballero sancho -o mapa.png
```

Más en el [README en español](../../README.es.md).
""")

code(r"""
codificado.close()  # borra el corpus codificado temporal del paso 3
shutil.rmtree(carpeta)  # y el registro de entrenamiento del paso 10
""")


# ------------------------------------------------------------------------------------------------
def build() -> nbformat.NotebookNode:
    """The notebook, without outputs."""
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, (kind, text) in enumerate(CELLS):
        cell = new_markdown_cell(text) if kind == "md" else new_code_cell(text)
        cell["id"] = f"celda-{i:02d}"  # stable ids: regenerating gives small diffs
        nb.cells.append(cell)
    return nb


def execute(nb: nbformat.NotebookNode, timeout: int = 600) -> None:
    """Run every cell in this directory (nbclient), storing the outputs in ``nb``."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    for cell in nb.cells:  # no execution timestamps: they would change at every run
        cell.get("metadata", {}).pop("execution", None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--execute", action="store_true", help="run the notebook and store its outputs")
    parser.add_argument("-o", "--output", type=Path, default=NOTEBOOK)
    args = parser.parse_args(argv)
    nb = build()
    if args.execute:
        t0 = time.perf_counter()
        execute(nb)
        print(f"executed in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    nbformat.validate(nb)
    nbformat.write(nb, args.output)
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes, {len(nb.cells)} cells)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
