import re

import pytest
import tablib

from accounts.models import Batch, User
from accounts.resources import UserResource
from exams.models import Question
from tests.factories import BatchFactory, UserFactory
from tests.spreadsheets import (
    admin_export,
    admin_import_confirm,
    admin_import_preview,
    formula_cells,
    read_spreadsheet,
    row_errors,
    spreadsheet,
)

pytestmark = pytest.mark.django_db

HEADERS = ["username", "password", "first_name", "last_name", "email", "phone", "batches"]
ASHA = ["asha", "Tr1cky-Pass-81", "Asha", "Rao", "asha@example.com", "9876543210", "Morning; JEE 2025"]
RAVI = ["ravi", "An0ther-Pass-27", "Ravi", "", "ravi@example.com", "", "Morning"]


@pytest.fixture
def browser(client, staff):
    client.force_login(staff)
    return client


def usernames():
    return set(User.objects.filter(is_staff=False).values_list("username", flat=True))


class TestStudentImport:
    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_a_confirmed_file_creates_the_students_with_their_batches(self, browser, file_format):
        BatchFactory(name="Morning")
        preview = admin_import_preview(
            browser, User, spreadsheet([HEADERS, ASHA, RAVI], file_format), file_format
        )
        assert usernames() == set()

        response = admin_import_confirm(browser, User, preview)

        assert response.status_code == 302
        asha = User.objects.get(username="asha")
        assert (asha.first_name, asha.last_name, asha.email, asha.phone) == (
            "Asha",
            "Rao",
            "asha@example.com",
            "9876543210",
        )
        assert asha.check_password("Tr1cky-Pass-81")
        assert set(asha.batches.values_list("name", flat=True)) == {"Morning", "JEE 2025"}
        assert list(User.objects.get(username="ravi").batches.values_list("name", flat=True)) == ["Morning"]
        assert Batch.objects.filter(name="Morning").count() == 1

    def test_the_preview_lists_the_rows_and_writes_nothing(self, browser):
        preview = admin_import_preview(browser, User, spreadsheet([HEADERS, ASHA, RAVI]))

        assert preview.status_code == 200
        assert preview.context["result"].totals["new"] == 2
        assert "confirm_form" in preview.context
        assert b"asha@example.com" in preview.content
        assert b"JEE 2025; Morning" in preview.content
        assert usernames() == set()
        assert not Batch.objects.exists()

    @pytest.mark.parametrize(
        ("bad_row", "column", "message"),
        [
            (["weak", "123", "", "", "", "", ""], "password", "too short"),
            (["nopass", "", "", "", "", "", ""], "password", "needs a password"),
            (["TESTPRESS", "Tr1cky-Pass-81", "", "", "", "", ""], "username", "already exists"),
            (["bademail", "Tr1cky-Pass-81", "", "", "not-an-email", "", ""], "email", "valid email"),
            (["asha", "Tr1cky-Pass-81", "", "", "", "", ""], "username", "earlier row"),
            (["admin", "", "", "", "", "", ""], "username", "staff account"),
        ],
    )
    def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(
        self, browser, student, bad_row, column, message
    ):
        preview = admin_import_preview(browser, User, spreadsheet([HEADERS, ASHA, bad_row, RAVI]))

        errors = row_errors(preview)
        assert list(errors) == [2]
        assert message in " ".join(errors[2][column])
        assert "confirm_form" not in preview.context
        assert usernames() == {"testpress"}
        assert not Batch.objects.exists()

    def test_an_invalid_row_met_only_at_confirmation_rolls_back_every_row(self, staff):
        """The resource refuses half a file even when the caller does not ask for a rollback."""
        dataset = tablib.Dataset(ASHA, ["weak", "123", "", "", "", "", ""], headers=HEADERS)

        result = UserResource().import_data(dataset, dry_run=False)

        assert result.has_validation_errors()
        assert usernames() == set()

    def test_an_existing_student_is_updated_and_keeps_a_password_left_blank(self, browser):
        old_batch = BatchFactory(name="Evening")
        asha = UserFactory(username="asha", email="old@example.com", batches=[old_batch])
        password_hash = asha.password
        row = ["asha", "", "Asha", "Rao", "new@example.com", "", "Morning"]

        admin_import_confirm(browser, User, admin_import_preview(browser, User, spreadsheet([HEADERS, row])))

        asha.refresh_from_db()
        assert asha.email == "new@example.com"
        assert asha.password == password_hash
        assert list(asha.batches.values_list("name", flat=True)) == ["Morning"]

    def test_a_filled_password_changes_an_existing_student_password(self, browser):
        UserFactory(username="asha")
        row = ["asha", "Fresh-Pass-2025", "", "", "", "", ""]

        admin_import_confirm(browser, User, admin_import_preview(browser, User, spreadsheet([HEADERS, row])))

        assert User.objects.get(username="asha").check_password("Fresh-Pass-2025")


class TestImportBounds:
    """One import is one request: a file is refused whole, before a row is read, past its bounds."""

    @pytest.mark.parametrize("model", [User, Question])
    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_a_file_over_a_thousand_rows_is_refused_saying_so(self, browser, model, file_format):
        rows = [[f"student{n}", "Tr1cky-Pass-81", "", "", "", "", ""] for n in range(1001)]
        preview = admin_import_preview(
            browser, model, spreadsheet([HEADERS, *rows], file_format), file_format
        )
        assert preview.context["form"].errors["import_file"] == [
            "The file has 1001 rows; import at most 1000 at a time."
        ]
        assert "result" not in preview.context
        assert usernames() == set()

    def test_a_thousand_rows_are_read(self, browser):
        rows = [[f"student{n}", "", "", "", "not an email", "", ""] for n in range(1000)]
        preview = admin_import_preview(browser, User, spreadsheet([HEADERS, *rows]))
        assert len(row_errors(preview)) == 1000

    def test_an_xlsx_that_unzips_past_the_byte_cap_is_refused_before_it_is_read(self, browser):
        # Five megabytes of one letter zip to a few kilobytes.
        rows = [["x" * 30_000] * 10 for _ in range(20)]
        content = spreadsheet([[f"c{n}" for n in range(10)], *rows], "xlsx")
        assert len(content) < 100_000
        preview = admin_import_preview(browser, User, content, "xlsx")
        [error] = preview.context["form"].errors["import_file"]
        held = re.fullmatch(
            r"The file holds ([\d,]+) bytes of data; import at most 5,242,880 at a time\.", error
        )
        assert int(held[1].replace(",", "")) > 6_000_000


class TestStudentExport:
    def test_the_export_has_the_students_in_the_import_columns_without_the_password(self, browser, staff):
        UserFactory(username="asha", phone="98765", batches=[BatchFactory(name="B"), BatchFactory(name="A")])

        rows = read_spreadsheet(admin_export(browser, User))

        assert rows[0] == [column for column in HEADERS if column != "password"]
        assert [row[0] for row in rows[1:]] == ["asha"]
        assert rows[1][4:] == ["98765", "A; B"]

    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_an_export_imports_back_to_the_same_students(self, browser, file_format):
        UserFactory(
            username="asha", first_name="Asha", email="a@example.com", batches=[BatchFactory(name="X")]
        )
        UserFactory(username="ravi", phone="12345", batches=[])
        exported = admin_export(browser, User, file_format)
        before = [
            (u.username, u.first_name, u.email, u.phone, u.password) for u in User.objects.order_by("pk")
        ]
        User.objects.filter(username="asha").update(first_name="changed", email="changed@example.com")
        User.objects.get(username="ravi").batches.add(BatchFactory(name="Y"))

        preview = admin_import_preview(browser, User, exported, file_format)
        assert row_errors(preview) == {}
        admin_import_confirm(browser, User, preview)

        after = [
            (u.username, u.first_name, u.email, u.phone, u.password) for u in User.objects.order_by("pk")
        ]
        assert after == before
        assert list(User.objects.get(username="asha").batches.values_list("name", flat=True)) == ["X"]
        assert not User.objects.get(username="ravi").batches.exists()


class TestFormulaCells:
    """A student's own name or phone typed as a formula must not run on the staff member's computer."""

    FORMULAS = {
        "username": "-evil",
        "first_name": "=cmd|' /C calc'!A0",
        "last_name": "+SUM(1+1)*cmd|' /C calc'!A0",
        "phone": "-2+3+cmd|' /C calc'!A0",
        "batches": "@SUM(1+1)*cmd|' /C calc'!A0",
    }

    @pytest.fixture
    def student(self, db):
        cells = self.FORMULAS
        return UserFactory(
            username=cells["username"],
            email="evil@example.com",
            first_name=cells["first_name"],
            last_name=cells["last_name"],
            phone=cells["phone"],
            batches=[BatchFactory(name=cells["batches"])],
        )

    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_the_export_quotes_each_cell_starting_with_a_formula_character(
        self, browser, student, file_format
    ):
        exported = admin_export(browser, User, file_format)

        headers, row = read_spreadsheet(exported, file_format)
        cells = dict(zip(headers, row, strict=True))
        assert {column: cells[column] for column in self.FORMULAS} == {
            column: "'" + formula for column, formula in self.FORMULAS.items()
        }
        assert cells["email"] == "evil@example.com"
        if file_format == "xlsx":
            assert formula_cells(exported) == []

    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_a_quoted_export_imports_back_to_the_same_students(self, browser, student, file_format):
        exported = admin_export(browser, User, file_format)
        User.objects.filter(pk=student.pk).update(first_name="changed", phone="")

        preview = admin_import_preview(browser, User, exported, file_format)
        assert row_errors(preview) == {}
        admin_import_confirm(browser, User, preview)

        student.refresh_from_db()
        assert (student.username, student.first_name, student.last_name, student.phone) == (
            self.FORMULAS["username"],
            self.FORMULAS["first_name"],
            self.FORMULAS["last_name"],
            self.FORMULAS["phone"],
        )
        assert list(student.batches.values_list("name", flat=True)) == [self.FORMULAS["batches"]]
