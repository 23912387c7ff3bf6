"""``aureus sim`` refuses the recordings the replay refuses, rather than simulate a book it would not run."""

from test_cli_acceptance import invoke
from test_cli_errors import assert_one_line_error, run

from aureus.paths import REPO_ROOT

CRYPTO = REPO_ROOT.parent / "shared" / "data" / "crypto_1m_2023-03_binanceus"


def test_sim_refuses_one_venue_quoting_in_several_currencies_like_the_replay(capsys, tmp_path):
    # BTCUSDT, BTCUSDC and BTCUSD on Binance.US: one venue, three quote currencies, no rate between them
    files = []
    for pair in ("BTCUSDT", "BTCUSDC", "BTCUSD"):
        rows = (CRYPTO / f"{pair}_1m_20230301_20230321.csv").read_text().splitlines(keepends=True)
        files.append(tmp_path / f"{pair}_1m_20230301_20230321.csv")
        files[-1].write_text("".join(rows[:200]))
    rec = tmp_path / "REC"
    invoke("data", "import", "binance-klines", *map(str, files), "--out", str(rec))
    capsys.readouterr()
    for cmd in (["replay", "--no-progress"], ["sim"]):
        code, _, err = run(capsys, *cmd, "--data", str(rec), "--out", str(tmp_path / cmd[0]))
        assert code == 2, err
        assert_one_line_error(err, "venue BINANCE has instruments quoted in ['USD', 'USDC', 'USDT']")
    assert not (tmp_path / "sim" / "trades.jsonl").exists()
