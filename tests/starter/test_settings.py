from datetime import timedelta

import pytest

from starter.settings import SettingsError, load_settings, parse_duration


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    for name in ("LOGISTICS_POLL_INTERVAL", "ALIBABA_CALLS_PER_MINUTE", "TEMPORAL_ADDRESS",
                 "ALIBABA_GATEWAY_URL", "ALIBABA_APP_SECRET", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("LOGISTICS_POLL_INTERVAL", "4x", "not a duration"),
        ("LOGISTICS_POLL_INTERVAL", "-5", "not a duration"),
        ("ALIBABA_CALLS_PER_MINUTE", "lots", "valid integer"),
        ("ALIBABA_CALLS_PER_MINUTE", "0", "greater than 0"),
        ("TEMPORAL_ADDRESS", "localhost", "host:port"),
        ("ALIBABA_GATEWAY_URL", "gw.open.1688.com", "http(s) URL"),
        ("QC_ESCALATE_AFTER", "soon", "not a duration"),
    ],
)
def test_a_bad_value_is_reported_with_the_variable_name(monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert len(caught.value.problems) == 1
    problem = caught.value.problems[0]
    assert problem.startswith(f"{variable}: ")
    assert expected in problem


def test_every_bad_variable_is_reported_at_once(monkeypatch):
    monkeypatch.setenv("LOGISTICS_POLL_INTERVAL", "4x")
    monkeypatch.setenv("ALIBABA_CALLS_PER_MINUTE", "lots")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert {p.split(":")[0] for p in caught.value.problems} == {"LOGISTICS_POLL_INTERVAL", "ALIBABA_CALLS_PER_MINUTE"}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("4h", 14400), ("90m", 5400), ("1h30m", 5400), ("45s", 45), ("2d", 172800), ("15", 15), ("500ms", 0.5)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_defaults_and_environment(monkeypatch):
    monkeypatch.setenv("LOGISTICS_POLL_INTERVAL", "30s")
    settings = load_settings()
    assert settings.temporal_address == "127.0.0.1:7233"
    assert settings.logistics_poll_interval == timedelta(seconds=30)
    assert settings.uses_simulator
    assert settings.alibaba_calls_per_second == 10


def test_dotenv_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("ALIBABA_CALLS_PER_MINUTE=120\n")
    assert load_settings().alibaba_calls_per_minute == 120


def test_secrets_never_print(monkeypatch):
    monkeypatch.setenv("ALIBABA_APP_SECRET", "s3cr3t-app-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:pw-in-url@db/x")
    settings = load_settings()
    assert "s3cr3t-app-secret" not in repr(settings) and "s3cr3t-app-secret" not in str(settings)
    assert "pw-in-url" not in repr(settings)
    assert settings.alibaba_app_secret.get_secret_value() == "s3cr3t-app-secret"


def test_a_real_gateway_needs_credentials(monkeypatch):
    monkeypatch.setenv("ALIBABA_GATEWAY_URL", "https://gw.open.1688.com/openapi/")
    with pytest.raises(SettingsError) as caught:
        load_settings().alibaba_credentials()
    assert any(p.startswith("ALIBABA_APP_SECRET:") for p in caught.value.problems)


def test_the_web_ui_address_comes_from_settings_or_the_dev_server_convention(monkeypatch, tmp_path):
    from starter.links import workflow_url

    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:17233")
    assert workflow_url(load_settings(), "pr-X") == "http://127.0.0.1:18233/namespaces/default/workflows/pr-X"
    (tmp_path / ".env").write_text("PROCURE_UI_URL=https://temporal.example.com/\n")
    assert workflow_url(load_settings(), "pr-X") == "https://temporal.example.com/namespaces/default/workflows/pr-X"
