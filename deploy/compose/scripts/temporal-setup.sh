#!/bin/sh
# The namespace and our custom search attributes (workflows/search_attributes.ALL), registered
# before any worker or `procure start` touches the cluster. Safe to run again.
set -eu
temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1 \
    || temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"
temporal operator search-attribute create --namespace "$NAMESPACE" --type Keyword \
    --name ProcurementRequestId --name ProcurementStage --name ProcurementRequester --name ProcurementAlert
temporal operator search-attribute create --namespace "$NAMESPACE" --type KeywordList \
    --name ProcurementSuppliers --name ProcurementOrderIds
temporal operator search-attribute create --namespace "$NAMESPACE" --type Double \
    --name ProcurementAmount
temporal operator search-attribute list --namespace "$NAMESPACE"
