# >>> file given 06
