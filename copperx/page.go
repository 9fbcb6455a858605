package copperx

import (
	"net/url"
	"strconv"
)

// Page is the API's page wrapper (PageDto). Pages start at 1.
type Page[T any] struct {
	Data    []T  `json:"data"`
	Page    int  `json:"page"`
	Limit   int  `json:"limit"`
	Count   int  `json:"count"`
	HasMore bool `json:"hasMore"`
}

// list is the API's unpaged wrapper (ListDto).
type list[T any] struct {
	Data []T `json:"data"`
}

// pageQuery sets page and limit when positive.
func pageQuery(q url.Values, page, limit int) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return q
}
