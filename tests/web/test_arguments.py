"""Hostile arguments to the API, over raw HTTP and through gradio_client: each gets one short sentence naming
the argument and what it takes, never the value in full, Gradio's or a library's words, or the server's folders."""

import json
import os

import httpx
import pytest
from gradio_client import Client

from inpaint_core.quoting import quote
from tests.conftest import ASSETS

MEGA = "x" * 1_000_000
SHORT = 400  # characters: a sentence and an 80-character quote fit
FOREIGN = ("Traceback", "Could not preprocess", "validation error", "Errno", "JSON object must be str", "recursion")


@pytest.fixture(scope="module")
def http(app_url):
    with httpx.Client(base_url=f"{app_url}gradio_api", timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def image(http) -> dict:
    def upload(name):
        path = http.post("/upload", files={"files": (ASSETS / name).open("rb")}).json()[0]
        return {"path": path, "meta": {"_type": "gradio.FileData"}}

    return {"background": upload("chelsea.png"), "layers": [upload("chelsea_mask.png")], "composite": None}


def error_of(http, route: str, data: list) -> str:
    """The error a /call/<route> answers, as its stream sends it."""
    event = http.post(f"/call/{route}", json={"data": data})
    assert event.status_code == 200, event.text
    stream = http.get(f"/call/{route}/{event.json()['event_id']}").text
    assert stream.startswith("event: error"), stream[:200]
    return json.loads(stream.split("data: ", 1)[1].splitlines()[0])["error"]


def file(path: str) -> dict:
    return {"path": path, "meta": {"_type": "gradio.FileData"}}


def compare_args(image, **changes) -> list:
    args = {"image": image, "vae": "taef2", "grow_mask_by": 6, "mask_offset": 6, "backend": "comfyui", "methods": ""}
    return list((args | changes).values())


CASES = [  # argument, value, the sentence's start
    ("vae", MEGA, "vae must be one of ['taef2', "),
    ("backend", MEGA, "backend must be one of ['comfyui', 'diffusers', 'fooocus'], got 'xxx"),
    ("methods", MEGA, "methods may be at most 4096 characters, got 1000000"),
    ("grow_mask_by", "6", "grow_mask_by must be an integer from 0 to 64, got '6'"),
    ("grow_mask_by", 10**4000, "grow_mask_by must be an integer from 0 to 64, got 1000"),
    ("mask_offset", 2.5, "mask_offset must be an integer from -128 to 128, got 2.5"),
]
METHODS = {
    "a deep list": ("[" * 2000 + "]" * 2000, "methods must be JSON of plain numbers and shallow nesting"),
    "a 4000-digit denoise": (
        '[{"method": "comfy", "denoise": ' + "9" * 4000 + "}]",
        "methods: denoise must be a number",
    ),
    "a 5000-digit integer": ('[{"method": "comfy", "denoise": ' + "9" * 5000 + "}]", "methods may be at most 4096"),
    "a list": ([{"method": "comfy"}], "methods must be text, got [{'method': 'comfy'}]"),
    "a long key": (json.dumps([{"method": "comfy", "k" * 3000: 1}]), "methods: unknown keys 'kkk"),
    "a long method": (json.dumps([{"method": "m" * 3000}]), "method must be one of ['comfy', 'was'"),
    "a long setting": (
        json.dumps({"comfy": {"grow_mask_by": "s" * 3000}}),
        "methods: grow_mask_by must be an integer in [0, 64], got 'sss",
    ),
}
IMAGES = {
    "a nested list": ([[1]], "image must be an image-editor value"),
    "a data: URL": (
        {"background": file("data:image/png;base64," + "A" * 5000), "layers": []},
        "image's background must be a file uploaded to this server",
    ),
    "a relative path": ({"background": file("app.py"), "layers": []}, "image's background must be a file uploaded"),
    "a file: URL": ({"background": file("file:///etc/passwd"), "layers": []}, "image's background must be a file"),
}


def assert_one_short_sentence(message: str, start: str) -> None:
    assert message.startswith(start), message[:300]
    assert len(message) < SHORT and "\n" not in message
    assert not any(word in message for word in FOREIGN)
    assert os.getcwd() not in message and str(ASSETS.parent) not in message  # the server's folders stay its own


@pytest.mark.parametrize(("name", "value", "start"), CASES)
def test_a_bad_argument_is_named_over_http(http, image, name, value, start):
    assert_one_short_sentence(error_of(http, "compare", compare_args(image, **{name: value})), start)


@pytest.mark.parametrize("case", METHODS)
def test_bad_methods_are_named_over_http(http, image, case):
    value, start = METHODS[case]
    assert_one_short_sentence(error_of(http, "compare", compare_args(image, methods=value)), start)


@pytest.mark.parametrize("case", IMAGES)
def test_a_bad_image_value_is_named_without_the_servers_folders(http, case):
    value, start = IMAGES[case]
    assert_one_short_sentence(error_of(http, "compare", compare_args(value)), start)


@pytest.mark.parametrize(
    ("settings", "start"),
    [
        ([1], "settings must be JSON text or a JSON object, got [1]"),
        (5, "settings must be JSON text or a JSON object, got 5"),
        ("{" + " " * 5000 + "}", "settings may be at most 4096 characters, got 5002"),
        ('{"expand": "' + "e" * 3000 + '"}', "set_latent_noise_mask: expand must be an integer in"),
    ],
)
def test_bad_prepare_settings_are_named_over_http(http, image, settings, start):
    message = error_of(http, "prepare", [image, "taef2", "set_latent_noise_mask", settings, 1.0])
    assert_one_short_sentence(message, start)


def test_nan_and_missing_arguments_are_named_over_http(http, image):
    body = json.dumps({"data": [image, "taef2", "comfy", "{}", "NaN"]}).replace('"NaN"', "NaN")
    event = http.post("/call/prepare", content=body, headers={"content-type": "application/json"}).json()
    stream = http.get(f"/call/prepare/{event['event_id']}").text
    assert "denoise must be a number from 0.05 to 1, got nan" in stream
    message = error_of(http, "prepare", [image, "taef2"])
    assert_one_short_sentence(message, "prepare takes 5 arguments (image, vae, method, settings, denoise), got 2")


def test_a_body_over_a_megabyte_is_refused_before_it_is_read(http):
    refused = http.post("/call/compare", json={"data": ["x" * 5_000_000]})
    assert refused.status_code == 413
    assert refused.json()["detail"] == "an event's arguments (files go by POST /gradio_api/upload) may be at most 1 MB"


BODIES = {  # a raw body FastAPI cannot read, and what the sentence says of it
    "a 5000-digit integer": ('{"data": [' + "9" * 5000 + "]}", "a number in it has 5000 digits (at most 4300)"),
    "JSON nested 5000 deep": ('{"data": ' + "[" * 5000 + "]" * 5000 + "}", "it nests deeper than 32 levels"),
    "JSON nested 40 deep": ('{"data": ' + "[" * 40 + "]" * 40 + "}", "it nests deeper than 32 levels"),
    "broken JSON": ('{"data": [1,,]}', "it is not JSON (at character 12)"),
    "bytes that are not UTF-8": (b"\xc3\x28", "it is not UTF-8 text"),
    "a list": ("[1, 2]", "it is a list, not an object"),
    "nothing": ("", "it is empty"),
}
FORMS = {"/call/compare": '{"data": [the arguments]}', "/queue/join": '{"data": [the arguments], "fn_index": n, '}


@pytest.mark.parametrize("route", FORMS)
@pytest.mark.parametrize("case", BODIES)
def test_a_body_that_cannot_be_read_is_refused_in_one_sentence_of_the_apps(http, route, case):
    body, said = BODIES[case]
    refused = http.post(route, content=body, headers={"content-type": "application/json"})
    assert refused.status_code == 400
    detail = refused.json()["detail"]
    assert detail.startswith(f"The request body is refused: {said}; send {FORMS[route]}"), detail
    assert len(detail) <= 200 and "parsing" not in detail


@pytest.mark.parametrize("route", FORMS)
def test_a_body_field_of_the_wrong_kind_is_named_without_repeating_it(http, route):
    refused = http.post(route, json={"data": "x" * 100_000, "fn_index": 0, "session_hash": "abc"})
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert detail.startswith("The request body's data should be a valid list, got 'xxx"), detail
    assert "(100000 characters)" in detail and len(detail) <= 200
    missing = http.post(route, json={"fn_index": 0, "session_hash": "abc"}).json()["detail"]
    assert missing.startswith(f"The request body's data is missing; send {FORMS[route]}"), missing


def test_a_body_nested_as_deep_as_the_api_needs_is_read():
    from web.arguments import MAX_DEPTH, read_body

    assert read_body(b'{"data": ' + b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1) + b"}")["data"]
    assert read_body(b'{"data": [' + b"9" * 4300 + b"]}")["data"][0] == int("9" * 4300)


def test_gradio_client_callers_get_the_same_sentences(app_url, chelsea_with_mask):
    client = Client(app_url, verbose=False)
    args = {"image": chelsea_with_mask, "vae": "taef2", "grow_mask_by": 6, "mask_offset": 6}
    for change, start in [({"vae": MEGA}, "vae must be one of"), ({"methods": MEGA}, "methods may be at most 4096")]:
        with pytest.raises(Exception) as raised:
            client.predict(**(args | change), api_name="/compare")
        assert_one_short_sentence(str(raised.value), start)
    assert len(client.predict(**args, api_name="/compare")) == 12  # and the server keeps serving


def test_quotes_are_cut_to_80_characters_with_the_size():
    assert quote("abc") == "'abc'"
    assert quote(MEGA) == "'" + "x" * 79 + "… (1000000 characters)"
    assert quote(list(range(10_000))).endswith("… (a list)") and len(quote(list(range(10_000)))) < 100
