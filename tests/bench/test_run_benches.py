"""CI runs every benchmark at its small size (scripts/run_benches.py): each script in bench/ declares one."""

from scripts import run_benches


def test_every_benchmark_in_bench_has_a_small_size():
    assert set(run_benches.benchmarks()) - set(run_benches.SMALL) == set()


def test_a_failing_benchmark_fails_the_run(tmp_path, monkeypatch):
    broken = tmp_path / "broken.py"
    broken.write_text("import sys\nprint('half a line')\nsys.exit(3)\n")
    monkeypatch.setattr(run_benches, "BENCH", tmp_path)
    monkeypatch.setitem(run_benches.SMALL, "broken.py", ["--small"])
    assert run_benches.main(["broken.py"]) == 1


def test_a_benchmark_prints_its_last_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "fine.py").write_text("import sys\nprint('figures')\nprint({'small': sys.argv[1:]})\n")
    monkeypatch.setattr(run_benches, "BENCH", tmp_path)
    monkeypatch.setitem(run_benches.SMALL, "fine.py", ["--small"])
    assert run_benches.main(["fine.py"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("bench/fine.py --small (") and line.endswith(": {'small': ['--small']}")
