"""Spreadsheet import/export plumbing shared by the apps' resources (django-import-export).

A file is imported whole or not at all, and cells read the same from CSV and XLSX. An exported cell
that a spreadsheet program would run as a formula is quoted, and the import takes the quote off.
"""

import re
import zipfile
from decimal import InvalidOperation
from io import BytesIO

from import_export import resources
from import_export.formats import base_formats

from testpress.admin_import_export import PermittedImportExportMixin

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP "CSV
# injection"): `=cmd|' /C calc'!A0` in a student's name would run when staff open the export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Numbers start with a sign too and are no formula: left as they are, a −3 choice stays a number.
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def escape_formula(value):
    """The cell as export writes it: a text a spreadsheet would run as a formula gets a leading quote.

    >>> escape_formula("=SUM(A1)"), escape_formula("@x"), escape_formula("-3"), escape_formula("<p>a</p>")
    ("'=SUM(A1)", "'@x", '-3', '<p>a</p>')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def unescape_formula(value: str) -> str:
    """The cell as it was before escape_formula quoted it: "'=SUM(A1)" → "=SUM(A1)"; others unchanged."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


class FormulaSafeFormat:
    """A format whose export quotes formulas, with IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT on.

    The library's own escaping drops one leading "=" only (so "==cmd" and "+cmd" still run) and turns
    every cell into a string (a blank XLSX number into "None"); this quotes all of FORMULA_STARTS and
    leaves other cells alone.
    """

    def _escape_formulae(self, dataset):
        for _ in range(dataset.height):
            row = dataset.lpop()
            dataset.append([escape_formula(cell) for cell in row])


class CSV(FormulaSafeFormat, base_formats.CSV):
    pass


class XLSX(FormulaSafeFormat, base_formats.XLSX):
    pass


# An import runs in one request, every row validated and written before the page answers (and a new
# student's password hashed), so one file holds at most this many rows...
MAX_IMPORT_ROWS = 1000
# ...and this many bytes, unzipped for XLSX: its compression could turn a file of kilobytes into
# millions of cells that the reader would build before a row is counted.
MAX_IMPORT_BYTES = 5 * 1024 * 1024


class SpreadsheetTooLarge(ValueError):
    """A file over the import's bounds; the message says which, and the import form shows it."""


def _refuse_too_many_rows(dataset):
    if dataset.height > MAX_IMPORT_ROWS:
        raise SpreadsheetTooLarge(
            f"The file has {dataset.height} rows; import at most {MAX_IMPORT_ROWS} at a time."
        )
    return dataset


def _refuse_too_many_bytes(size: int) -> None:
    if size > MAX_IMPORT_BYTES:
        raise SpreadsheetTooLarge(
            f"The file holds {size:,} bytes of data; import at most {MAX_IMPORT_BYTES:,} at a time."
        )


class BoundedCSV(CSV):
    def create_dataset(self, in_stream):
        _refuse_too_many_bytes(len(in_stream))
        return _refuse_too_many_rows(super().create_dataset(in_stream))


class BoundedXLSX(XLSX):
    def create_dataset(self, in_stream):
        try:
            unzipped = sum(member.file_size for member in zipfile.ZipFile(BytesIO(in_stream)).infolist())
        except zipfile.BadZipFile:
            unzipped = 0  # not an XLSX at all: the reader says so
        _refuse_too_many_bytes(max(len(in_stream), unzipped))
        return _refuse_too_many_rows(super().create_dataset(in_stream))


# What the admins offer to import and export.
SPREADSHEET_FORMATS = [BoundedCSV, BoundedXLSX]


class SpreadsheetAdminMixin(PermittedImportExportMixin):
    """Import and export in SPREADSHEET_FORMATS, behind the model's permissions; a file over the bounds
    is refused saying which."""

    formats = SPREADSHEET_FORMATS

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, SpreadsheetTooLarge):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)


def cell_text(value) -> str:
    """A cell as stripped text: XLSX gives None for a blank cell and floats for numbers typed in it.

    >>> cell_text(None), cell_text(" a "), cell_text(9876543210.0), cell_text(2.5)
    ('', 'a', '9876543210', '2.5')
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def split_list(value) -> list[str]:
    """The items of a list cell, separated by commas or semicolons: "A, B; C" → ["A", "B", "C"]."""
    return [item.strip() for item in re.split(r"[,;]", cell_text(value)) if item.strip()]


class ColumnDiff(resources.Diff):
    """The preview's before/after cells, read as the export writes them.

    The library reads model attributes only, so a column a resource computes (a user's batches, a
    question's choices) would preview blank. An unsaved instance has no related rows to read yet.
    """

    def __init__(self, resource, instance, new):
        super().__init__(resource, instance, new)
        self.left = self.cells(resource, instance)

    def compare_with(self, resource, instance):
        self.right = self.cells(resource, instance)

    @staticmethod
    def cells(resource, instance) -> list:
        fields = resource.get_import_fields()
        if instance.pk is None:
            return [field.export(instance) for field in fields]
        return [resource.export_field(field, instance) for field in fields]


class AllOrNothingResource(resources.ModelResource):
    """A resource whose imports write every row or none."""

    def get_diff_class(self):
        return ColumnDiff

    def before_import(self, dataset, **kwargs):
        # Headers typed by hand ("Username ", "EMAIL") name the same columns.
        dataset.headers = [cell_text(header).lower() for header in dataset.headers]
        super().before_import(dataset, **kwargs)

    def before_import_row(self, row, **kwargs):
        # "alice " typed in a cell is the user alice, not a username the validators refuse; a blank
        # XLSX cell (None) reads as the empty CSV cell it would be, so text columns get "" not NULL; a
        # cell the export quoted reads as it was.
        for column, value in row.items():
            if value is None or isinstance(value, str):
                row[column] = cell_text(unescape_formula(cell_text(value)))
        super().before_import_row(row, **kwargs)

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        try:
            super().import_field(field, instance, row, is_m2m, **kwargs)
        except InvalidOperation:
            # The decimal widget's own error would make the row an unexplained crash, not a named column.
            raise ValueError(f"“{cell_text(row.get(field.column_name))}” is not a number.") from None

    def import_data(self, dataset, **kwargs):
        # The admin's confirm step imports the previewed file again without asking for a rollback on
        # invalid rows; a row that has become invalid since the preview must not leave the others written.
        kwargs.update(use_transactions=True, rollback_on_validation_errors=True)
        return super().import_data(dataset, **kwargs)
