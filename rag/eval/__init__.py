"""Measure: question sets (ours, SQuAD, BEIR), scores, baselines, reports and charts."""
