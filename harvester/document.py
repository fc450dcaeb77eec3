"""The document model every normaliser produces and the parser consumes.

A document is an ordered list of blocks. A block is a heading, a paragraph or a table.
A table is a rectangular grid: every row has the same number of cells; a cell covered by
a row or column span of another cell is present in the grid, carries the same text as the
cell that spans it and has ``merged=True`` (its ``origin`` says which cell it copies).
The parser therefore never needs to know whether a table came from HTML, DOCX or PDF.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

BlockKind = Literal["heading", "paragraph", "table"]


@dataclass(slots=True)
class Cell:
    """One cell of a rectangular grid."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    merged: bool = False
    origin: tuple[int, int] | None = None  # (row, col) of the spanning cell when merged


@dataclass(slots=True)
class Table:
    """A rectangular grid of cells (spans resolved)."""

    rows: list[list[Cell]]

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def texts(self, *, blank_merged: bool = False) -> list[list[str]]:
        """The grid as text; with ``blank_merged`` the copies made by spans are empty."""
        return [["" if (blank_merged and c.merged) else c.text for c in row] for row in self.rows]

    @classmethod
    def from_texts(cls, rows: list[list[str]]) -> Table:
        """A table from plain text rows (no spans), padded to a rectangle."""
        width = max((len(r) for r in rows), default=0)
        return cls(
            rows=[[Cell(t) for t in r] + [Cell("") for _ in range(width - len(r))] for r in rows]
        )


@dataclass(slots=True)
class Block:
    """A heading, a paragraph or a table, in document order."""

    kind: BlockKind
    text: str = ""
    table: Table | None = None
    level: int = 0  # heading level when known (1 = title)
    page: int | None = None  # source page for paginated formats


@dataclass(slots=True)
class Attachment:
    """A link from an article page to a document (PDF, DOC, …)."""

    url: str
    name: str = ""
    how: str = "link"  # link | onclick | iframe | pdfjs | downloader


@dataclass(slots=True)
class Picture:
    """A picture in an article body (a table published as an image): its address and where
    it stands, as the number of the document's blocks before it."""

    url: str
    position: int


@dataclass(slots=True)
class Document:
    """A normalised document: blocks plus the metadata the source states."""

    blocks: list[Block] = field(default_factory=list)
    title: str | None = None
    published: str | None = None  # YYYY-MM-DD as stated by the page or file
    metadata: dict[str, str] = field(default_factory=dict)  # 索引号, 发布机构, ColumnName, …
    attachments: list[Attachment] = field(default_factory=list)
    source_format: str = "text"  # html | docx | doc | wps | pdf | xls | xlsx | text
    needs_ocr: bool = False
    ocr_used: bool = False
    warnings: list[str] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)  # article-body images, in order

    def text(self) -> str:
        """All text in order; tables rendered as tab-separated rows."""
        parts: list[str] = []
        for block in self.blocks:
            if block.kind == "table" and block.table is not None:
                parts.extend("\t".join(row) for row in block.table.texts(blank_merged=True))
            else:
                parts.append(block.text)
        return "\n".join(parts)

    def tables(self) -> list[Table]:
        return [b.table for b in self.blocks if b.kind == "table" and b.table is not None]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        blocks = []
        for b in data.get("blocks", []):
            table = None
            if b.get("table"):
                table = Table(
                    rows=[
                        [
                            Cell(
                                text=c["text"],
                                rowspan=c.get("rowspan", 1),
                                colspan=c.get("colspan", 1),
                                merged=c.get("merged", False),
                                origin=tuple(c["origin"]) if c.get("origin") else None,
                            )
                            for c in row
                        ]
                        for row in b["table"]["rows"]
                    ]
                )
            blocks.append(
                Block(
                    kind=b["kind"],
                    text=b.get("text", ""),
                    table=table,
                    level=b.get("level", 0),
                    page=b.get("page"),
                )
            )
        return cls(
            blocks=blocks,
            title=data.get("title"),
            published=data.get("published"),
            metadata=dict(data.get("metadata", {})),
            attachments=[Attachment(**a) for a in data.get("attachments", [])],
            source_format=data.get("source_format", "text"),
            needs_ocr=data.get("needs_ocr", False),
            ocr_used=data.get("ocr_used", False),
            warnings=list(data.get("warnings", [])),
            pictures=[Picture(**p) for p in data.get("pictures", [])],
        )
