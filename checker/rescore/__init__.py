"""Re-scoring: a streaming reader of accuracy logs and pure evaluators (log + ground truth in, score out)."""
