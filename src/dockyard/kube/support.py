"""Which fields `kube play` carries out; every other one is reported and skipped.

A field that changes nothing on one host (scheduling hints, rollout strategy, image pull
policy) is accepted quietly; anything else the Engine cannot do is named with its path.
"""

from __future__ import annotations

from typing import Any

KINDS = (
    "Pod",
    "Deployment",
    "DaemonSet",
    "Job",
    "Service",
    "ConfigMap",
    "Secret",
    "PersistentVolumeClaim",
)

QUIET = {
    "metadata": {
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "generateName",
        "ownerReferences",
        "finalizers",
        "managedFields",
    },
    "deployment": {
        "strategy",
        "revisionHistoryLimit",
        "minReadySeconds",
        "progressDeadlineSeconds",
        "paused",
    },
    "daemonset": {"updateStrategy", "revisionHistoryLimit", "minReadySeconds"},
    "job": {"completionMode", "manualSelector", "suspend"},
    "pod": {
        "dnsPolicy",
        "schedulerName",
        "enableServiceLinks",
        "serviceAccountName",
        "serviceAccount",
        "automountServiceAccountToken",
        "priority",
        "priorityClassName",
        "nodeSelector",
        "affinity",
        "tolerations",
        "topologySpreadConstraints",
        "preemptionPolicy",
    },
    "container": {"imagePullPolicy", "terminationMessagePath", "terminationMessagePolicy"},
    "service": {
        "clusterIP",
        "clusterIPs",
        "sessionAffinity",
        "ipFamilies",
        "ipFamilyPolicy",
        "internalTrafficPolicy",
        "externalTrafficPolicy",
        "allocateLoadBalancerNodePorts",
    },
    "resources": {"requests"},
    "claim": {"accessModes", "resources", "storageClassName", "volumeMode"},
}

HANDLED = {
    "metadata": {"name", "labels", "annotations"},
    "deployment": {"replicas", "selector", "template"},
    "daemonset": {"selector", "template"},
    "job": {"template", "completions", "parallelism", "backoffLimit"},
    "pod": {
        "containers",
        "initContainers",
        "restartPolicy",
        "volumes",
        "hostname",
        "terminationGracePeriodSeconds",
        "securityContext",
        "subdomain",
        "imagePullSecrets",
    },
    "podSecurity": {"runAsUser", "runAsGroup"},
    "container": {
        "name",
        "image",
        "command",
        "args",
        "env",
        "envFrom",
        "workingDir",
        "ports",
        "resources",
        "securityContext",
        "volumeMounts",
        "livenessProbe",
        "readinessProbe",
        "tty",
        "stdin",
    },
    "security": {"runAsUser", "runAsGroup", "capabilities", "privileged", "readOnlyRootFilesystem"},
    "resources": {"limits"},
    "limits": {"memory", "cpu"},
    "port": {"containerPort", "protocol", "name", "hostPort", "hostIP"},
    "env": {"name", "value", "valueFrom"},
    "valueFrom": {"configMapKeyRef", "secretKeyRef"},
    "envFrom": {"configMapRef", "secretRef", "prefix"},
    "volume": {"name", "persistentVolumeClaim", "emptyDir", "hostPath", "configMap", "secret"},
    "volumeMount": {"name", "mountPath", "readOnly", "subPath"},
    "service": {"selector", "ports", "type"},
    "servicePort": {"name", "port", "targetPort", "protocol", "nodePort"},
    "claim": set(),
}


def unsupported(obj: Any, section: str, path: str, warnings: list[str], where: str) -> None:
    """Append a warning for every key of `obj` that `kube play` does not carry out."""
    if not isinstance(obj, dict):
        return
    known = HANDLED[section] | QUIET.get(section, set())
    for key in obj:
        if key not in known:
            warnings.append(f"{where}: {path}.{key}: not supported; skipped")
