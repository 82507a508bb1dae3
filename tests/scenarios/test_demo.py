"""The demo is part of the product: it must run and prove its totals."""

from pyese.cli import main
from pyese.demo import run


def test_demo_totals_are_exact():
    ledger = run(orders=300, workers=6, sessions=3, quiet=True)
    assert ledger.committed == 300
    assert ledger.amount_cents == sum(100 + (o * 37) % 9900 for o in range(300))
    # read back from the Orders table after the run, not from memory
    assert ledger.rows == ledger.priced == 300
    assert ledger.table_cents == ledger.amount_cents
    assert ledger.refused == 1  # the deliberate misuse, refused with SessionSharingViolation
    assert ledger.migrated == 300  # staged pools: every order changes threads


def test_demo_command_line(capsys):
    assert main(["demo", "--orders", "50"]) == 0
    out = capsys.readouterr().out
    assert "JET_errSessionSharingViolation (-1910)" in out
    assert "nothing lost      : yes" in out
