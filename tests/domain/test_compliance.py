"""The compliance verdict: expired, expiring within 30 days, lapsed permits, unknown."""

from __future__ import annotations

from datetime import date, timedelta

from domain.compliance import ComplianceFacts, ComplianceStatus, Permit, judge
from domain.eligibility import ExclusionCode, supplier_exclusions
from domain.request import SupplierPolicy
from domain.supplier import SupplierProfile

TODAY = date(2026, 11, 28)


def facts(**kw) -> ComplianceFacts:
    return ComplianceFacts(supplier_id="s1", **kw)


def test_valid_licence_is_compliant_without_alert():
    verdict = judge(facts(license_expires_on=TODAY + timedelta(days=31)), TODAY)
    assert verdict.status == ComplianceStatus.COMPLIANT and verdict.alert_key is None


def test_licence_within_30_days_is_expiring_and_alerted():
    verdict = judge(facts(license_expires_on=TODAY + timedelta(days=30)), TODAY)
    assert verdict.status == ComplianceStatus.EXPIRING
    assert "expires on 2026-12-28 (in 30 days)" in verdict.reason
    assert verdict.alert_key == "s1:licence:2026-12-28:expiring"


def test_expiring_alert_key_does_not_change_from_day_to_day():
    expiry = TODAY + timedelta(days=20)
    keys = {judge(facts(license_expires_on=expiry), TODAY + timedelta(days=d)).alert_key for d in range(5)}
    assert keys == {"s1:licence:2026-12-18:expiring"}


def test_expired_licence_is_non_compliant():
    verdict = judge(facts(license_expires_on=TODAY - timedelta(days=1)), TODAY)
    assert verdict.status == ComplianceStatus.NON_COMPLIANT
    assert verdict.reason == "the supplier's business licence expired on 2026-11-27"
    # Expiring and expired are two alerts: the second tells that buying stopped.
    assert verdict.alert_key != judge(facts(license_expires_on=TODAY - timedelta(days=1)), TODAY - timedelta(days=5)).alert_key


def test_licence_expiring_today_is_still_valid():
    assert judge(facts(license_expires_on=TODAY), TODAY).status == ComplianceStatus.EXPIRING


def test_lapsed_permit_is_non_compliant_and_named():
    verdict = judge(facts(license_expires_on=TODAY + timedelta(days=400), permits=[
        Permit(name="全国工业产品生产许可证", expires_on=TODAY - timedelta(days=3)),
        Permit(name="食品经营许可证", expires_on=None)]), TODAY)
    assert verdict.status == ComplianceStatus.NON_COMPLIANT
    assert verdict.reason == "the supplier's permit 全国工业产品生产许可证 expired on 2026-11-25"


def test_company_unknown_to_the_register_is_unknown_not_excluded():
    verdict = judge(facts(license_found=False), TODAY)
    assert verdict.status == ComplianceStatus.UNKNOWN and verdict.alert_key is None


def test_sourcing_rule_excludes_a_marked_supplier_with_the_reason():
    policy = SupplierPolicy()
    marked = SupplierProfile(supplier_id="s1", years=5, compliance_problem="the supplier's permit X expired on 2026-11-25")
    reasons = supplier_exclusions(marked, policy, score=policy.min_score, today=TODAY)
    assert [(r.code, r.message) for r in reasons] == [
        (ExclusionCode.SUPPLIER_NON_COMPLIANT, "the supplier's permit X expired on 2026-11-25")]
    expired = marked.model_copy(update={"license_expires_on": TODAY - timedelta(days=1)})
    # One reason, not two, when the problem is the licence itself.
    assert [r.code for r in supplier_exclusions(expired, policy, score=policy.min_score, today=TODAY)] == [
        ExclusionCode.LICENCE_EXPIRED]
