// Writes what sim-kube's protobuf request bodies are checked and decoded with, from the Go
// types of Kubernetes (the module versions in go.mod, which match ../../../proto):
//
//   - the test vectors: for each object, `<name>.pb` as client-go's protobuf serializer
//     encodes it (the "k8s\x00" prefix and the runtime.Unknown envelope) and `<name>.json` as
//     encoding/json writes the same object; tests/protobuf.rs decodes each .pb and compares
//     it with its .json;
//   - ../../../proto/go-json.json: where the JSON of a Go type differs from its protobuf
//     message field by field: per message, the fields JSON inlines into the enclosing object
//     (`json:",inline"`, as a Volume's VolumeSource), and the fields protobuf always carries
//     (non-pointer scalars) but JSON leaves out when they are zero (`omitempty`).
//
// Run from this directory: go run . .. ../../../proto/go-json.json
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var created = metav1.NewTime(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
var micro = metav1.NewMicroTime(time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC))

func ptr[T any](v T) *T { return &v }

func meta(name, namespace string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:              name,
		Namespace:         namespace,
		Labels:            map[string]string{"app": "checkout", "tier": "web"},
		Annotations:       map[string]string{"application-networking.k8s.aws/federation": "amazon-vpc-lattice"},
		Finalizers:        []string{"example.com/keep"},
		CreationTimestamp: created,
		OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "checkout-7d9f", UID: "0b1c2d3e-0000-4000-8000-000000000001",
			Controller: ptr(true), BlockOwnerDeletion: ptr(true),
		}},
		ManagedFields: []metav1.ManagedFieldsEntry{{
			Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "v1", Time: &created,
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:metadata":{"f:labels":{"f:app":{}}}}`)},
		}},
	}
}

func objects() map[string]runtime.Object {
	return map[string]runtime.Object{
		"namespace": &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: "checkout", Labels: map[string]string{"team": "payments"}},
		},
		"service": &corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: meta("checkout", "default"),
			Spec: corev1.ServiceSpec{
				Selector: map[string]string{"app": "checkout"},
				Ports: []corev1.ServicePort{
					{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromInt32(8080)},
					{Name: "grpc", Protocol: corev1.ProtocolTCP, Port: 9090, TargetPort: intstr.FromString("grpc"), AppProtocol: ptr("kubernetes.io/h2c")},
				},
				Type:            corev1.ServiceTypeClusterIP,
				SessionAffinity: corev1.ServiceAffinityNone,
				IPFamilies:      []corev1.IPFamily{corev1.IPv4Protocol},
			},
		},
		"configmap": &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: "default"},
			Data:       map[string]string{"mode": "strict", "empty": ""},
			BinaryData: map[string][]byte{"blob": {0, 1, 2, 0xfe, 0xff}},
			Immutable:  ptr(false),
		},
		"secret": &corev1.Secret{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: metav1.ObjectMeta{Name: "token", Namespace: "default"},
			Type:       corev1.SecretTypeOpaque,
			Data:       map[string][]byte{"password": []byte("s3cr3t\n")},
		},
		"pod": &corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: meta("checkout-7d9f-abcde", "default"),
			Spec: corev1.PodSpec{
				Containers: []corev1.Container{{
					Name: "app", Image: "example.com/checkout:1.2.3", Args: []string{"--port", "8080"},
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
					Env:   []corev1.EnvVar{{Name: "MODE", Value: "strict"}, {Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}}},
					Resources: corev1.ResourceRequirements{
						Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
						Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("0.1")},
					},
					ReadinessProbe: &corev1.Probe{
						ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}},
						PeriodSeconds: 5,
					},
					VolumeMounts: []corev1.VolumeMount{{Name: "scratch", MountPath: "/tmp"}},
				}},
				Volumes:                       []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
				TerminationGracePeriodSeconds: ptr(int64(30)),
				ReadinessGates:                []corev1.PodReadinessGate{{ConditionType: "application-networking.k8s.aws/pod-readiness-gate"}},
				NodeName:                      "node-1",
			},
			Status: corev1.PodStatus{
				Phase: corev1.PodRunning,
				Conditions: []corev1.PodCondition{
					{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: created},
					{Type: "application-networking.k8s.aws/pod-readiness-gate", Status: corev1.ConditionTrue, Reason: "Registered", LastProbeTime: created},
				},
				PodIP:     "10.0.0.7",
				PodIPs:    []corev1.PodIP{{IP: "10.0.0.7"}},
				StartTime: &created,
				ContainerStatuses: []corev1.ContainerStatus{{
					Name: "app", Ready: true, RestartCount: 2, Image: "example.com/checkout:1.2.3", ImageID: "sha256:00",
					State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: created}},
				}},
			},
		},
		"serviceaccount": &corev1.ServiceAccount{
			TypeMeta:                     metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
			ObjectMeta:                   metav1.ObjectMeta{Name: "gateway-api-controller", Namespace: "aws-application-networking-system"},
			AutomountServiceAccountToken: ptr(true),
		},
		"core-event": &corev1.Event{
			TypeMeta:            metav1.TypeMeta{APIVersion: "v1", Kind: "Event"},
			ObjectMeta:          metav1.ObjectMeta{Name: "checkout.1820a1b2c3d4e5f6", Namespace: "default"},
			InvolvedObject:      corev1.ObjectReference{APIVersion: "gateway.networking.k8s.io/v1", Kind: "HTTPRoute", Name: "checkout", Namespace: "default", UID: "0b1c2d3e-0000-4000-8000-000000000002", ResourceVersion: "42"},
			Reason:              "DeploySucceed",
			Message:             "Adding/Updating reconcile Done!",
			Source:              corev1.EventSource{Component: "httproute"},
			FirstTimestamp:      created,
			LastTimestamp:       created,
			Count:               3,
			Type:                corev1.EventTypeNormal,
			EventTime:           metav1.MicroTime{},
			ReportingController: "application-networking.k8s.aws/gateway-api-controller",
		},
		"endpointslice": &discoveryv1.EndpointSlice{
			TypeMeta:    metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
			ObjectMeta:  metav1.ObjectMeta{Name: "checkout-x7k2p", Namespace: "default", Labels: map[string]string{"kubernetes.io/service-name": "checkout"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints: []discoveryv1.Endpoint{
				{Addresses: []string{"10.0.0.7"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true), Serving: ptr(true), Terminating: ptr(false)},
					TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "checkout-7d9f-abcde", Namespace: "default"}, NodeName: ptr("node-1"), Zone: ptr("us-west-2a")},
				{Addresses: []string{"10.0.0.8"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(false)}},
			},
			Ports: []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(corev1.ProtocolTCP)}},
		},
		"event": &eventsv1.Event{
			TypeMeta:            metav1.TypeMeta{APIVersion: "events.k8s.io/v1", Kind: "Event"},
			ObjectMeta:          metav1.ObjectMeta{Name: "checkout.1820a1b2c3d4e5f7", Namespace: "default"},
			EventTime:           micro,
			ReportingController: "application-networking.k8s.aws/gateway-api-controller",
			ReportingInstance:   "gateway-api-controller-0",
			Action:              "Reconcile",
			Reason:              "DeploySucceed",
			Regarding:           corev1.ObjectReference{Kind: "HTTPRoute", Name: "checkout", Namespace: "default"},
			Note:                "Adding/Updating reconcile Done!",
			Type:                "Normal",
			Series:              &eventsv1.EventSeries{Count: 2, LastObservedTime: micro},
		},
		"lease": &coordinationv1.Lease{
			TypeMeta:   metav1.TypeMeta{APIVersion: "coordination.k8s.io/v1", Kind: "Lease"},
			ObjectMeta: metav1.ObjectMeta{Name: "amazon-vpc-lattice.io", Namespace: "aws-application-networking-system"},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity: ptr("gateway-api-controller-0_5f0e"), LeaseDurationSeconds: ptr(int32(15)),
				AcquireTime: &micro, RenewTime: &micro, LeaseTransitions: ptr(int32(1)),
			},
		},
		"customresourcedefinition": &apiextensionsv1.CustomResourceDefinition{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
			ObjectMeta: metav1.ObjectMeta{Name: "widgets.example.com"},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: "example.com",
				Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Singular: "widget", Kind: "Widget", ListKind: "WidgetList", ShortNames: []string{"wd"}},
				Scope: apiextensionsv1.NamespaceScoped,
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
					Name: "v1", Served: true, Storage: true,
					Subresources:             &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}},
					AdditionalPrinterColumns: []apiextensionsv1.CustomResourceColumnDefinition{{Name: "Size", Type: "integer", JSONPath: ".spec.size"}},
					Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
						Type: "object",
						Properties: map[string]apiextensionsv1.JSONSchemaProps{
							"spec": {
								Type:     "object",
								Required: []string{"size"},
								Properties: map[string]apiextensionsv1.JSONSchemaProps{
									"size":   {Type: "integer", Minimum: ptr(1.0), Maximum: ptr(10.5), Default: &apiextensionsv1.JSON{Raw: []byte(`3`)}},
									"colour": {Type: "string", Enum: []apiextensionsv1.JSON{{Raw: []byte(`"red"`)}, {Raw: []byte(`"blue"`)}}, Pattern: "^[a-z]+$"},
									"tags":   {Type: "array", Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{Type: "string"}}, XListType: ptr("set")},
									"labels": {Type: "object", AdditionalProperties: &apiextensionsv1.JSONSchemaPropsOrBool{Allows: true, Schema: &apiextensionsv1.JSONSchemaProps{Type: "string"}}},
									"extra":  {Type: "object", XPreserveUnknownFields: ptr(true)},
									"port":   {XIntOrString: true, AnyOf: []apiextensionsv1.JSONSchemaProps{{Type: "integer"}, {Type: "string"}}},
								},
								XValidations: apiextensionsv1.ValidationRules{{Rule: "self.size <= 10", Message: "too big"}},
							},
							"status": {Type: "object", AdditionalProperties: &apiextensionsv1.JSONSchemaPropsOrBool{Allows: false}},
						},
					}},
				}},
			},
		},
		"deleteoptions": &metav1.DeleteOptions{
			TypeMeta:           metav1.TypeMeta{APIVersion: "v1", Kind: "DeleteOptions"},
			GracePeriodSeconds: ptr(int64(0)),
			Preconditions:      &metav1.Preconditions{UID: ptr(types("0b1c2d3e-0000-4000-8000-000000000003")), ResourceVersion: ptr("17")},
			PropagationPolicy:  ptr(metav1.DeletePropagationForeground),
			DryRun:             []string{"All"},
		},
	}
}

func types(s string) k8stypes.UID { return k8stypes.UID(s) }

type shape struct {
	Inline    map[string][]string `json:"inline"`
	OmitEmpty map[string][]string `json:"omitEmpty"`
}

// goJSON walks the Go types reachable from roots and lists, per protobuf message, the fields
// JSON inlines and the fields a zero value of which JSON omits although protobuf carries it.
func goJSON(roots []reflect.Type) shape {
	out := map[string][]string{}
	inline := map[string][]string{}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Ptr || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
				return
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		message := strings.ReplaceAll(strings.ReplaceAll(t.PkgPath(), "/", "."), "-", "_") + "." + t.Name()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("protobuf")
			if f.Anonymous && tag == "" {
				walk(f.Type)
				continue
			}
			name := ""
			for _, part := range strings.Split(tag, ",") {
				if strings.HasPrefix(part, "name=") {
					name = strings.TrimPrefix(part, "name=")
				}
			}
			if name == "" && tag != "" {
				// go-to-protobuf names an untagged field after its Go name, lower camel case.
				name = strings.ToLower(f.Name[:1]) + f.Name[1:]
			}
			if name == "" {
				continue
			}
			walk(f.Type)
			if strings.Contains(f.Tag.Get("json"), ",inline") {
				inline[message] = append(inline[message], name)
				continue
			}
			scalar := false
			switch f.Type.Kind() {
			case reflect.String, reflect.Bool, reflect.Int32, reflect.Int64, reflect.Float64:
				scalar = true
			case reflect.Slice:
				scalar = f.Type.Elem().Kind() == reflect.Uint8
			}
			if scalar && strings.Contains(f.Tag.Get("json"), ",omitempty") {
				out[message] = append(out[message], name)
			}
		}
		if fields, ok := out[message]; ok {
			sort.Strings(fields)
		}
	}
	for _, t := range roots {
		walk(t)
	}
	for _, fields := range inline {
		sort.Strings(fields)
	}
	return shape{Inline: inline, OmitEmpty: out}
}

func main() {
	dir := os.Args[1]
	var roots []reflect.Type
	for _, obj := range objects() {
		roots = append(roots, reflect.TypeOf(obj))
	}
	table, err := json.MarshalIndent(goJSON(roots), "", "  ")
	must(err)
	must(os.WriteFile(os.Args[2], append(table, '\n'), 0o644))
	serializer := protobuf.NewSerializer(nil, nil)
	for name, obj := range objects() {
		var pb bytes.Buffer
		if err := serializer.Encode(obj, &pb); err != nil {
			panic(fmt.Sprintf("%s: %v", name, err))
		}
		js, err := json.MarshalIndent(obj, "", "  ")
		if err != nil {
			panic(fmt.Sprintf("%s: %v", name, err))
		}
		must(os.WriteFile(filepath.Join(dir, name+".pb"), pb.Bytes(), 0o644))
		must(os.WriteFile(filepath.Join(dir, name+".json"), append(js, '\n'), 0o644))
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
