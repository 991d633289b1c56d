"""Images in questions: staff who may change questions upload them; only real images are kept."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from exams.errors import QuestionImageInvalid
from exams.services import question_image_save
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("admin:exams_question_upload_image")


def image_file(kind="PNG", name="circuit.png", size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, kind)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{kind.lower()}")


SVG = SimpleUploadedFile("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')


class TestQuestionImageSave:
    @pytest.mark.parametrize(
        "kind, extension", [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("WEBP", "webp")]
    )
    def test_keeps_an_image_under_a_new_name_with_the_extension_of_what_it_is(self, kind, extension):
        url = question_image_save(file=image_file(kind, name="photo of the board.bmp"))
        assert url.startswith("/media/questions/")
        assert url.endswith(f".{extension}")
        assert "photo" not in url

    @pytest.mark.parametrize(
        "upload, message",
        [
            (SVG, "not an image that can be read"),
            (SimpleUploadedFile("page.png", b"<html><script>steal()</script></html>"), "not an image"),
            (image_file("BMP", name="scan.png"), "BMP images are not accepted"),
            (SimpleUploadedFile("cut.png", image_file().read()[:60]), "not an image"),
            (None, "Choose an image file"),
        ],
    )
    def test_refuses_anything_but_a_readable_png_jpeg_gif_or_webp(self, upload, message):
        with pytest.raises(QuestionImageInvalid, match=message):
            question_image_save(file=upload)

    def test_refuses_an_image_over_the_size_limit(self, settings):
        settings.QUESTION_IMAGE_MAX_BYTES = 1024
        with pytest.raises(QuestionImageInvalid, match="too large: at most 1 KB"):
            question_image_save(file=image_file(size=(400, 400), kind="BMP"))


class TestUploadEndpoint:
    def client_for(self, **user) -> Client:
        client = Client()
        client.force_login(UserFactory(**user))
        return client

    def test_staff_who_may_change_questions_get_the_absolute_url_and_the_image_is_served(self):
        client = self.client_for(is_staff=True, permissions=["exams.change_question"])
        response = client.post(URL, {"image": image_file()})

        assert response.status_code == 201
        url = response.json()["url"]
        assert url.startswith("http://testserver/media/questions/") and url.endswith(".png")
        served = client.get(url.removeprefix("http://testserver"))
        assert served.status_code == 200
        assert served["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (40, 30)

    def test_a_refused_file_answers_400_with_the_reason(self):
        client = self.client_for(is_staff=True, permissions=["exams.change_question"])
        response = client.post(URL, {"image": SVG})
        assert response.status_code == 400
        assert "not an image" in response.json()["error"]

    def test_staff_who_may_only_view_questions_are_refused(self):
        client = self.client_for(is_staff=True, permissions=["exams.view_question"])
        response = client.post(URL, {"image": image_file()})
        assert response.status_code == 403
        assert "may not change questions" in response.json()["error"]

    def test_students_and_visitors_are_sent_to_the_login(self):
        for client in (Client(), self.client_for()):
            response = client.post(URL, {"image": image_file()})
            assert response.status_code == 302
            assert response["Location"].startswith("/admin/login/")

    def test_only_a_post_with_the_csrf_token_uploads(self):
        staff = UserFactory(staff=True)
        client = Client(enforce_csrf_checks=True)
        client.force_login(staff)
        assert client.get(URL).status_code == 405
        assert client.post(URL, {"image": image_file()}).status_code == 403
