"""madoguchi knowledge library: FAQ model, normalisation, embedders, hybrid search, evaluation.

Pure library: no Rasa, FastAPI or bot imports, no environment reads; paths and model names are arguments.
"""
