# >>> file given 05
