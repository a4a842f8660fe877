"""The product catalogue: what a product is called and what it costs, by its EAN/UPC code.

``SqliteCatalogue(path)`` opens a catalogue file read-only (the glasses never write to it) and
answers the ``Catalogue`` protocol of ``glasses.assistant.services``: ``lookup(code)`` and
``search(words)``. Any other lookup (a shop's web service, a price-comparison API) is a class
with those two methods, passed to ``session_services(catalogue=...)``.

A catalogue file is SQLite with one table, ``products`` (``gtin``, ``code``, ``name``, ``price``,
``currency``, ``shop``; one row per product and shop), built from a CSV file by
``build_catalogue(csv_path, db_path)``. The CSV has the header ``code,name,price,currency,shop``;
``code`` is an EAN-13, EAN-8, UPC-A or UPC-E with its check digit, ``price`` a decimal number,
``currency`` an ISO 4217 code. A product sold by several shops has one row per shop; ``lookup``
answers the cheapest.

Codes are compared as 14-digit GTINs (zeros on the left), so a UPC-A read as 12 digits finds
the EAN-13 written with a leading 0, and the other way round. A UPC-E is expanded to its UPC-A
by the caller that knows the symbology (``upc_e_to_upc_a``).

``demo_catalogue()`` is a small catalogue shipped in the package
(``glasses/assistant/data/demo_catalogue.csv``; every shop in it is called "Demo …": the prices
are made up) for the simulator and for anyone who has not configured their own.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

from glasses.assistant.money import as_decimal
from glasses.assistant.services import Product
from glasses.atomic import write_bytes

SCHEMA_VERSION = 1
CSV_COLUMNS = ("code", "name", "price", "currency", "shop")
DEMO_CSV = "demo_catalogue.csv"

_SCHEMA = """
CREATE TABLE products (
    gtin TEXT NOT NULL,          -- the code as a 14-digit GTIN (zeros on the left)
    code TEXT NOT NULL,          -- the code as written in the source
    name TEXT NOT NULL,
    price REAL NOT NULL,         -- in ``currency``
    currency TEXT NOT NULL,      -- ISO 4217, e.g. EUR
    shop TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (gtin, shop)
);
"""


class CatalogueError(ValueError):
    """A catalogue that cannot be read; the message names the file (and line) and the fix."""


# --------------------------------------------------------------------------------------------
# Codes


def gtin_check_digit(body: str) -> int:
    """The GS1 check digit of ``body`` (a GTIN without its last digit): weights 3, 1, 3, …
    from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_valid_gtin(code: str) -> bool:
    """An EAN-8, UPC-A (12), EAN-13 or GTIN-14 whose check digit is right."""
    return (
        len(code) in (8, 12, 13, 14)
        and code.isascii()
        and code.isdigit()
        and gtin_check_digit(code[:-1]) == int(code[-1])
    )


def gtin14(code: str) -> str | None:
    """``code`` as the 14-digit key it is stored under, or None if it is no valid GTIN."""
    code = code.strip()
    return code.zfill(14) if is_valid_gtin(code) else None


def upc_e_to_upc_a(code: str) -> str | None:
    """The 12-digit UPC-A a UPC-E code stands for, or None if ``code`` is no UPC-E.

    Takes 8 digits (number system, six digits, check digit; the check digit is verified), 7
    (without the check digit) or 6 (number system 0, no check digit).
    """
    if not (code.isascii() and code.isdigit() and len(code) in (6, 7, 8)):
        return None
    if len(code) == 6:
        code = "0" + code
    system, d, check = code[0], code[1:7], code[7:]
    if system not in "01":
        return None
    last = d[5]
    if last in "012":
        body = f"{system}{d[0:2]}{last}0000{d[2:5]}"
    elif last == "3":
        body = f"{system}{d[0:3]}00000{d[3:5]}"
    elif last == "4":
        body = f"{system}{d[0:4]}00000{d[4]}"
    else:
        body = f"{system}{d[0:5]}0000{last}"
    digit = str(gtin_check_digit(body))
    if check and check != digit:
        return None
    return body + digit


# --------------------------------------------------------------------------------------------
# CSV


def read_csv(text: str, source: str = "<csv>") -> list[Product]:
    """The products of a catalogue CSV (see the module docstring). Raises ``CatalogueError``
    listing every bad row as ``source:line: what``."""
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    if header != CSV_COLUMNS:
        raise CatalogueError(
            f"{source}:1: the header must be {','.join(CSV_COLUMNS)}, got {','.join(header)!r}"
        )
    products: list[Product] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for row in reader:
        line = reader.line_num
        try:
            product = _product(row)
        except ValueError as exc:
            problems.append(f"{source}:{line}: {exc}")
            continue
        key = (gtin14(product.code) or "", product.shop)
        if key in seen:
            problems.append(
                f"{source}:{line}: {product.code} at shop {product.shop!r} is already on line "
                f"{seen[key]}"
            )
            continue
        seen[key] = line
        products.append(product)
    if problems:
        raise CatalogueError("\n".join(problems))
    return products


def _product(row: dict[str, str | None]) -> Product:
    if None in row or any(row.get(c) is None for c in CSV_COLUMNS):
        raise ValueError(f"expected {len(CSV_COLUMNS)} columns ({','.join(CSV_COLUMNS)})")
    code, name = (row["code"] or "").strip(), (row["name"] or "").strip()
    price_text, currency = (row["price"] or "").strip(), (row["currency"] or "").strip()
    if gtin14(code) is None:
        raise ValueError(
            f"code {code!r} is no EAN-13, EAN-8 or UPC-A with a valid check digit"
            + (f" (expected {gtin_check_digit(code[:-1])} last)" if _digits(code) else "")
        )
    if not name:
        raise ValueError(f"code {code} has no name")
    price = as_decimal(price_text) if re.fullmatch(r"\d+(\.\d+)?", price_text) else None
    if price is None:
        raise ValueError(f"price {price_text!r} must be a number such as 1.49")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ValueError(f"currency {currency!r} must be an ISO 4217 code such as EUR")
    return Product(code, name, float(price), currency, (row["shop"] or "").strip())


def _digits(code: str) -> bool:
    return len(code) in (8, 12, 13, 14) and code.isascii() and code.isdigit()


# --------------------------------------------------------------------------------------------
# SQLite


def _fill(db: sqlite3.Connection, products: Iterable[Product]) -> None:
    db.executescript(_SCHEMA)
    db.executemany(
        "INSERT INTO products (gtin, code, name, price, currency, shop) VALUES (?, ?, ?, ?, ?, ?)",
        [(gtin14(p.code), p.code, p.name, p.price, p.currency, p.shop) for p in products],
    )
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.commit()


def build_catalogue(csv_path: str | os.PathLike[str], db_path: str | os.PathLike[str]) -> int:
    """Write the catalogue file ``db_path`` from ``csv_path``, whole or not at all; returns
    the number of rows. Raises ``CatalogueError`` for a bad CSV, ``OSError`` if unreadable."""
    source = Path(csv_path)
    products = read_csv(source.read_text(encoding="utf-8"), str(source))
    db = sqlite3.connect(":memory:")
    try:
        _fill(db, products)
        data = db.serialize()
    finally:
        db.close()
    write_bytes(db_path, data)
    return len(products)


class SqliteCatalogue:
    """A catalogue file opened read-only (see the module docstring); safe to use from the
    worker threads ``clock.run_blocking`` runs lookups in."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        file = Path(path)
        if not file.is_file():
            raise CatalogueError(
                f"{file}: no such catalogue file; build one from a CSV with build_catalogue()"
            )
        try:
            db = sqlite3.connect(
                f"{file.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise CatalogueError(f"{file}: cannot open: {exc}") from None
        self._init(db, str(file))

    @classmethod
    def from_products(
        cls, products: Iterable[Product], source: str = "<memory>"
    ) -> SqliteCatalogue:
        """A catalogue held in memory (tests, the demo)."""
        db = sqlite3.connect(":memory:", check_same_thread=False)
        _fill(db, products)
        catalogue = cls.__new__(cls)
        catalogue._init(db, source)
        return catalogue

    def _init(self, db: sqlite3.Connection, source: str) -> None:
        self.source = source
        self._db = db
        self._lock = threading.Lock()
        try:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            columns = {row[1] for row in db.execute("PRAGMA table_info(products)")}
        except sqlite3.DatabaseError as exc:
            db.close()
            raise CatalogueError(f"{source}: not a catalogue file ({exc})") from None
        if version != SCHEMA_VERSION or not {"gtin", *CSV_COLUMNS} <= columns:
            db.close()
            raise CatalogueError(
                f"{source}: not a glasses catalogue (schema version {version}, columns "
                f"{sorted(columns)}); build one from a CSV with build_catalogue()"
            )

    def lookup(self, code: str) -> Product | None:
        """The cheapest offer for ``code`` (EAN-13, EAN-8, UPC-A), or None."""
        key = gtin14(code)
        if key is None:
            return None
        rows = self._query(
            "SELECT code, name, price, currency, shop FROM products WHERE gtin = ? "
            "ORDER BY price, shop LIMIT 1",
            (key,),
        )
        return _as_product(rows[0]) if rows else None

    def search(self, words: str, *, limit: int = 3) -> list[Product]:
        """Products whose name holds every word of ``words`` (case-insensitive), by name,
        each at its cheapest offer."""
        terms = re.findall(r"\w+", words.lower())
        if not terms or limit < 1:
            return []
        where = " AND ".join("lower(name) LIKE ? ESCAPE '\\'" for _ in terms)
        patterns = ["%" + re.sub(r"([%_\\])", r"\\\1", t) + "%" for t in terms]
        # SQLite takes a bare column of a MIN() aggregate from the row holding the minimum.
        rows = self._query(
            f"SELECT code, name, MIN(price), currency, shop FROM products WHERE {where} "
            "GROUP BY gtin ORDER BY name, gtin LIMIT ?",
            (*patterns, limit),
        )
        return [_as_product(r) for r in rows]

    def __len__(self) -> int:
        return int(str(self._query("SELECT COUNT(DISTINCT gtin) FROM products", ())[0][0]))

    def _query(self, sql: str, args: Sequence[object]) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._db.execute(sql, tuple(args)))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _as_product(row: tuple[object, ...]) -> Product:
    code, name, price, currency, shop = row
    return Product(str(code), str(name), float(str(price)), str(currency), str(shop))


def demo_catalogue() -> SqliteCatalogue:
    """The catalogue shipped in the package (made-up prices at "Demo …" shops), in memory."""
    data = resources.files("glasses.assistant").joinpath("data", DEMO_CSV)
    return SqliteCatalogue.from_products(
        read_csv(data.read_text(encoding="utf-8"), DEMO_CSV), DEMO_CSV
    )
