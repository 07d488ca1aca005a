package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Both backends send Request.Messages in order, in place of System and User, and
// stream the answer text (never the thinking text) into Request.Reply. Each server
// here is written for the test: it records the messages it was sent and streams a
// reply split over chunks, one of them thinking only.
func TestMessagesAndReply(t *testing.T) {
	msgs := []Message{
		{Role: "system", Content: "be brief"},
		{Role: "user", Content: "hello"},
		{Role: "assistant", Content: "hi there"},
		{Role: "user", Content: "and \"again\"\n"},
	}
	type got struct{ Messages []Message }
	cases := []struct {
		name   string
		path   string
		handle func(w http.ResponseWriter)
		client func(u string) Backend
	}{
		{"ollama", "/api/chat", func(w http.ResponseWriter) {
			fmt.Fprintln(w, `{"message":{"role":"assistant","content":"","thinking":"hmm"},"done":false}`)
			fmt.Fprintln(w, `{"message":{"role":"assistant","content":"Hi, "},"done":false}`)
			fmt.Fprintln(w, `{"message":{"role":"assistant","content":"\"you\"\n"},"done":false}`)
			fmt.Fprintln(w, `{"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","eval_count":3,"prompt_eval_count":9,"eval_duration":3000000,"prompt_eval_duration":1000000,"total_duration":5000000}`)
		}, func(u string) Backend { h, _ := ParseHost(u); return NewOllama(h) }},
		{"openai", "/v1/chat/completions", func(w http.ResponseWriter) {
			fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"hmm\"}}]}\n\n")
			fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"Hi, \"}}]}\n\n")
			fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"\\\"you\\\"\\n\"},\"finish_reason\":\"stop\"}]}\n\n")
			fmt.Fprint(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}\n\n")
			fmt.Fprint(w, "data: [DONE]\n\n")
		}, func(u string) Backend { h, _ := ParseHost(u); return NewOpenAI(h, "") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var sent got
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != tc.path {
					http.NotFound(w, r)
					return
				}
				if err := json.NewDecoder(r.Body).Decode(&sent); err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				tc.handle(w)
			}))
			defer srv.Close()
			var reply strings.Builder
			var s Sample
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			tc.client(srv.URL).Stream(ctx, time.Now(), Request{Model: "m", System: "unused", User: "unused", Messages: msgs, Reply: &reply, MaxTokens: 8}, &s)
			if !s.OK {
				t.Fatalf("request failed: %s: %s", s.ErrorKind, s.Error)
			}
			if len(sent.Messages) != len(msgs) {
				t.Fatalf("server got %d messages, want %d: %+v", len(sent.Messages), len(msgs), sent.Messages)
			}
			for i := range msgs {
				if sent.Messages[i] != msgs[i] {
					t.Errorf("message %d: server got %+v, want %+v", i, sent.Messages[i], msgs[i])
				}
			}
			if want := "Hi, \"you\"\n"; reply.String() != want {
				t.Errorf("reply %q, want %q (the answer text only, unescaped)", reply.String(), want)
			}
		})
	}
}

// Without Messages, a request is the synthetic workload's system and user messages.
func TestSystemAndUserWithoutMessages(t *testing.T) {
	req := Request{System: "Request abc.", User: "words"}
	want := []Message{{"system", "Request abc."}, {"user", "words"}}
	for i, m := range ollamaMessages(req) {
		if (Message{m.Role, m.Content}) != want[i] {
			t.Errorf("ollama message %d = %+v, want %+v", i, m, want[i])
		}
	}
	for i, m := range openaiMessages(req) {
		if Message(m) != want[i] {
			t.Errorf("openai message %d = %+v, want %+v", i, m, want[i])
		}
	}
}
