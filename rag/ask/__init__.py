"""Ask: understand the question, retrieve passages, write a cited answer (quoted or by a model) and check it."""
