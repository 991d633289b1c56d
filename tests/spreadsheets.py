"""Spreadsheet files for import tests, and the admin's two-step import (preview, then confirm)."""

import io

import openpyxl
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse


def spreadsheet(rows: list[list], file_format: str = "csv") -> bytes:
    """The rows (the first one holds the headers) as a CSV or XLSX file's bytes."""
    dataset = tablib.Dataset(*rows[1:], headers=rows[0])
    content = dataset.export(file_format)
    return content.encode() if isinstance(content, str) else content


def read_spreadsheet(content: bytes, file_format: str = "csv") -> list[list]:
    dataset = tablib.Dataset().load(content.decode() if file_format == "csv" else content, format=file_format)
    return [list(dataset.headers), *(list(row) for row in dataset)]


def formula_cells(content: bytes) -> list[str]:
    """The cells of an XLSX file that a spreadsheet program would evaluate, as coordinates."""
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


def _format_index_in(form, file_format: str) -> str:
    return next(str(value) for value, label in form.fields["format"].choices if label.lower() == file_format)


def admin_import_preview(client, model, content: bytes, file_format: str = "csv"):
    """Uploads a file to the model's admin import page: the dry run, whose page previews each row."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_import")
    upload = SimpleUploadedFile(f"upload.{file_format}", content)
    form_page = client.get(url)
    return client.post(
        url, {"format": _format_index_in(form_page.context["form"], file_format), "import_file": upload}
    )


def admin_import_confirm(client, model, preview):
    """Presses the preview's "Confirm import" button; the preview must have offered it."""
    confirm_form = preview.context["confirm_form"]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_process_import")
    return client.post(url, {name: confirm_form[name].value() for name in confirm_form.fields})


def admin_export(client, model, file_format: str = "csv") -> bytes:
    """The file the model's admin export page gives with every column ticked, as the page starts."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_export")
    form = client.get(url).context["form"]
    data = {name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)}
    data.update(format=_format_index_in(form, file_format), resource="0")
    response = client.post(url, data)
    assert response.status_code == 200 and response.has_header("Content-Disposition"), response
    return response.content


def row_errors(preview) -> dict[int, dict[str, list[str]]]:
    """The preview's invalid rows: {row number: {column: messages}}."""
    result = preview.context["result"]
    return {row.number: row.error_dict for row in result.invalid_rows}
