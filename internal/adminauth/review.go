package adminauth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/cache"
	authenticationv1 "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationv1 "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/util/retry"
)

// The reviews are made with client-go directly rather than through
// k8s.io/apiserver's delegating authenticator and authorizer: those pull
// the API server's egress machinery (gRPC, OpenTelemetry) into the binary,
// about a quarter of its size and of its resident memory, for two POSTs
// and a cache.

// cacheSize bounds each answer cache: distinct tokens, and distinct
// (user, check) pairs. Entries expire after cacheTTL either way.
const cacheSize = 4096

// attributes are what one check asks of a SubjectAccessReview.
type attributes struct {
	resource                                           bool
	verb, group, version, namespace, kind, subresource string
	path                                               string // non-resource checks
}

// reviewer authenticates tokens and authorizes users with TokenReviews and
// SubjectAccessReviews, reusing answers for cacheTTL.
type reviewer struct {
	authn     authenticationv1.AuthenticationV1Interface
	authz     authorizationv1.AuthorizationV1Interface
	users     *cache.LRUExpireCache // sha256(token) → authnv1.TokenReviewStatus
	decisions *cache.LRUExpireCache // user and attributes → authzv1.SubjectAccessReviewStatus
}

func newReviewer(authn authenticationv1.AuthenticationV1Interface, authz authorizationv1.AuthorizationV1Interface) *reviewer {
	return &reviewer{authn: authn, authz: authz, users: cache.NewLRUExpireCache(cacheSize), decisions: cache.NewLRUExpireCache(cacheSize)}
}

// authenticate returns who token belongs to, and false when the cluster
// does not accept it. An error means the review could not be made. The
// cache is keyed by the token's digest, so tokens are not kept.
func (r *reviewer) authenticate(ctx context.Context, token string) (authnv1.UserInfo, bool, error) {
	key := sha256.Sum256([]byte(token))
	if v, ok := r.users.Get(key); ok {
		st := v.(authnv1.TokenReviewStatus)
		return st.User, st.Authenticated, nil
	}
	var st authnv1.TokenReviewStatus
	err := review(ctx, func(ctx context.Context) error {
		tr, err := r.authn.TokenReviews().Create(ctx, &authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
		if err == nil {
			st = tr.Status
		}
		return err
	})
	if err != nil {
		return authnv1.UserInfo{}, false, fmt.Errorf("token review: %w", err)
	}
	if st.Error != "" && !st.Authenticated {
		// The API server answered, but could not decide (an authenticator
		// webhook failing); do not keep that answer.
		return authnv1.UserInfo{}, false, nil
	}
	r.users.Add(key, st, cacheTTL)
	return st.User, st.Authenticated, nil
}

// authorize returns whether user may do what a asks, and the reason the
// authorizer gave. An error means the review could not be made, or the
// authorizer could not decide.
func (r *reviewer) authorize(ctx context.Context, user authnv1.UserInfo, a attributes) (bool, string, error) {
	key := decisionKey(user, a)
	if v, ok := r.decisions.Get(key); ok {
		st := v.(authzv1.SubjectAccessReviewStatus)
		return st.Allowed, st.Reason, nil
	}
	sar := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{User: user.Username, Groups: user.Groups, UID: user.UID}}
	if len(user.Extra) > 0 {
		sar.Spec.Extra = make(map[string]authzv1.ExtraValue, len(user.Extra))
		for k, v := range user.Extra {
			sar.Spec.Extra[k] = authzv1.ExtraValue(v)
		}
	}
	if a.resource {
		sar.Spec.ResourceAttributes = &authzv1.ResourceAttributes{Namespace: a.namespace, Verb: a.verb, Group: a.group, Version: a.version, Resource: a.kind, Subresource: a.subresource}
	} else {
		sar.Spec.NonResourceAttributes = &authzv1.NonResourceAttributes{Path: a.path, Verb: a.verb}
	}
	var st authzv1.SubjectAccessReviewStatus
	err := review(ctx, func(ctx context.Context) error {
		out, err := r.authz.SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err == nil {
			st = out.Status
		}
		return err
	})
	if err != nil {
		return false, "", fmt.Errorf("subject access review: %w", err)
	}
	if !st.Allowed && !st.Denied && st.EvaluationError != "" {
		return false, "", fmt.Errorf("subject access review: %s", st.EvaluationError)
	}
	r.decisions.Add(key, st, cacheTTL)
	return st.Allowed, st.Reason, nil
}

// review makes one review call, retried on failure with reviewBackoff, each
// try bounded by reviewTimeout.
func review(ctx context.Context, call func(context.Context) error) error {
	return retry.OnError(reviewBackoff, func(error) bool { return ctx.Err() == nil }, func() error {
		ctx, cancel := context.WithTimeout(ctx, reviewTimeout)
		defer cancel()
		return call(ctx)
	})
}

// decisionKey identifies a check: the whole identity (groups and extras
// change what RBAC allows) and the attributes. NUL cannot appear in names.
func decisionKey(u authnv1.UserInfo, a attributes) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\x00%s\x00%q\x00%v", u.Username, u.UID, u.Groups, a)
	for _, k := range sortedKeys(u.Extra) {
		fmt.Fprintf(&b, "\x00%s=%q", k, u.Extra[k])
	}
	return b.String()
}

func sortedKeys(m map[string]authnv1.ExtraValue) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
