"""The synthetic demo book: a realistic medical-malpractice book (policies, premium ledger,
claims and their ledgers) calibrated to CAS Schedule P medmal development, with its true
ultimates. Pure numpy/pandas: no Django, no clock; the same seed gives byte-identical files.

    book = generate_book(policies=10_000, years=5, seed=1)
    write_book(book, "var/demo", truth=True)
"""
from exchange.demo.book import DemoBook, generate_book
from exchange.demo.writer import write_book

__all__ = ["DemoBook", "generate_book", "write_book"]
