"""From ids to tables: sampling, batches, the model, the kernels and backends, the training loop,
checkpoints and distributed training."""
