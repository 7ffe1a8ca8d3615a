"""madoguchi benchmarks (`make bench`): figures the project produces itself, as ratios to baselines measured in
the same run so machine noise cancels. Not unit tests."""
