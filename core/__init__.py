"""CLWE Lab engine: mapping-based cross-lingual word embeddings in pure NumPy.

One module per component of the framework (Glavaš et al. 2019; Artetxe et al. 2018):
io, normalize, seeds, mapping, induction, selflearning, evaluate, similarity, projection, isomorphism.
"""

__version__ = "0.1.0"
