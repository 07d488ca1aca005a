package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/bench"
)

func TestReadFormats(t *testing.T) {
	tests := []struct {
		file, format string
		want         []bench.Conversation
	}{
		// ShareGPT: every human turn is kept; each gpt reply sets the turn before it's
		// MaxTokens to its estimated tokens (EstimateTokens: the kettle reply is 189
		// ASCII bytes → 48; "Nearly: …" 92 → 23; the bridge reply 476 → 119); a system turn is
		// the System; a numeric id is its digits; a human turn with no reply gets 0.
		{"sharegpt.json", "", []bench.Conversation{
			{ID: "kettle", Turns: []bench.Turn{
				{User: "Why does a kettle get louder just before the water boils?", MaxTokens: 48},
				{User: "So the quiet moment means it is boiling?", MaxTokens: 23}}},
			{ID: "bridge", System: "You are a civil engineer who answers in plain words.", Turns: []bench.Turn{
				{User: "Explain in a few sentences why long suspension bridges have towers that lean slightly apart at the top, and how the cables carry the weight of the deck down to the ground on either side of the river.", MaxTokens: 119}}},
			{ID: "3", Turns: []bench.Turn{{User: "Name three rivers that cross a national border.", MaxTokens: 10}}},
			{ID: "tea", Turns: []bench.Turn{{User: "Write a short note to a neighbour asking them to water the garden while we are away for a week in summer; mention the tomatoes, the new apple tree by the fence, and where the spare key is kept."}}},
		}},
		// JSONL: prompt or messages; max_tokens sets every turn's; an assistant message
		// sets the turn before it's (43 ASCII bytes → 11); a record with no id is named by
		// its line (line 5: line 3 is blank and still counted).
		{"prompts.jsonl", "", []bench.Conversation{
			{ID: "short", Turns: []bench.Turn{{User: "Say hello.", MaxTokens: 8}}},
			{ID: "medium", System: "Answer as a patient teacher.", Turns: []bench.Turn{{User: "Describe how a river carves a valley over thousands of years, from the first rain on a hillside to a wide plain with meanders, and say what a traveller would see at each stage.", MaxTokens: 64}}},
			{ID: "chat", System: "Be brief.", Turns: []bench.Turn{{User: "What is a market station?", MaxTokens: 11}, {User: "And a village station?"}}},
			{ID: "5", Turns: []bench.Turn{{User: "List the seasons of the year in order, starting from spring, and give one thing that happens in the garden in each of them, one line per season, with no other text before or after the list."}}},
		}},
		// Text: one prompt per line, blank lines skipped, named by line number.
		{"prompts.txt", "", []bench.Conversation{
			{ID: "1", Turns: []bench.Turn{{User: "Tell me about the forest at night."}}},
			{ID: "3", Turns: []bench.Turn{{User: "What does a lighthouse keeper do in winter?"}}},
			{ID: "4", Turns: []bench.Turn{{User: "Explain how a bridge carries its own weight and the weight of the traffic on it."}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d, err := Read(filepath.Join("testdata", tt.file), tt.format)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Conversations, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", d.Conversations, tt.want)
			}
			if !d.Detected || len(d.SHA256) != 64 {
				t.Errorf("detected %v, sha256 %q", d.Detected, d.SHA256)
			}
		})
	}
}

// The fixtures the project ships under datasets/ must parse in the format their name
// says, and their detection must agree.
func TestShippedDatasets(t *testing.T) {
	for file, format := range map[string]string{"sharegpt-small.json": ShareGPT, "prompts-small.jsonl": JSONL} {
		d, err := Read(filepath.Join("..", "datasets", file), "")
		if err != nil {
			t.Fatal(err)
		}
		if d.Format != format || len(d.Conversations) < 8 {
			t.Errorf("%s: format %s, %d records", file, d.Format, len(d.Conversations))
		}
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]string{
		"  \n[{}]": ShareGPT, "{\"prompt\":\"x\"}\n": JSONL, "hello\n": Text, "": Text,
	} {
		if got := Detect([]byte(in)); got != want {
			t.Errorf("Detect(%q) = %s, want %s", in, got, want)
		}
	}
}

// Every bad input is one line naming the file and the line of the fault.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name, format, data, want string
	}{
		{"empty text", Text, "\n  \n", "d: no record: the text dataset is empty"},
		{"empty sharegpt", ShareGPT, "[]", "d: no record: the sharegpt dataset is empty"},
		{"empty jsonl", JSONL, "\n\n", "d: no record: the jsonl dataset is empty"},
		{"sharegpt not an array", ShareGPT, "{\"id\": 1}", "d:1: a ShareGPT file is a JSON array of records"},
		{"sharegpt syntax", ShareGPT, "[\n{\"id\": \"a\",\n \"conversations\": [{\"from\": \"human\" \"value\": \"x\"}]}]", "d:3: not valid JSON"},
		{"sharegpt truncated", ShareGPT, "[\n{\"id\": \"a\", \"conversations\": [\n", "d:3: the JSON ends before the array is closed"},
		{"sharegpt type", ShareGPT, "[\n{\"id\": \"a\", \"conversations\": [{\"from\": \"human\", \"value\": \"x\"}]},\n{\"id\": \"b\", \"conversations\": \"hi\"}]", "d:3: \"conversations\" is a JSON string, not a list"},
		{"sharegpt no human turn", ShareGPT, "[\n{\"id\": \"a\", \"conversations\": [{\"from\": \"gpt\", \"value\": \"x\"}]}]", "d:2: record 1 (id a) has no human turn"},
		{"sharegpt no conversations", ShareGPT, "[\n{\"id\": \"a\"}]", "d:2: record 1 (id a) has no \"conversations\" list"},
		{"sharegpt unknown role", ShareGPT, "[\n{\"id\": \"a\", \"conversations\": [{\"from\": \"narrator\", \"value\": \"x\"}]}]", "d:2: record 1 (id a), turn 1: \"from\" \"narrator\" is not human, gpt or system"},
		{"sharegpt trailing", ShareGPT, "[]\nx", "d:2: text after the end of the ShareGPT array"},
		{"sharegpt bad id", ShareGPT, "[{\"id\": [1], \"conversations\": []}]", "d:1: record 1: \"id\" must be a string or a number"},
		{"jsonl syntax", JSONL, "{\"prompt\": \"a\"}\n{\"prompt\": }\n", "d:2: not valid JSON"},
		{"jsonl not an object", JSONL, "{\"prompt\": \"a\"}\n[1]\n", "d:2: a JSONL line is one JSON object, not a JSON array"},
		{"jsonl open object", JSONL, "{\"prompt\": \"a\",\n\"max_tokens\": 3}\n", "d:1: not valid JSON: the object does not end on its line"},
		{"jsonl two values", JSONL, "{\"prompt\": \"a\"} {\"prompt\": \"b\"}\n", "d:1: more than one JSON value on the line"},
		{"jsonl neither", JSONL, "{\"system\": \"a\"}\n", "d:1: neither \"prompt\" nor \"messages\""},
		// An empty or blank human turn asks the server to answer nothing.
		{"jsonl empty prompt", JSONL, "{\"prompt\": \"a\"}\n{\"prompt\": \"  \"}\n", "d:2: human turn 1 is empty"},
		{"sharegpt empty human turn", ShareGPT, "[\n{\"id\": \"a\", \"conversations\": [{\"from\": \"human\", \"value\": \"x\"}, {\"from\": \"gpt\", \"value\": \"y\"}, {\"from\": \"human\", \"value\": \"\"}]}]", "d:2: record 1 (id a): human turn 2 is empty"},
		{"jsonl both", JSONL, "{\"prompt\": \"a\", \"messages\": []}\n", "d:1: both \"prompt\" and \"messages\": give one"},
		{"jsonl no user", JSONL, "\n{\"messages\": [{\"role\": \"system\", \"content\": \"a\"}]}\n", "d:2: no user message (no human turn)"},
		{"jsonl bad role", JSONL, "{\"messages\": [{\"role\": \"tool\", \"content\": \"a\"}]}\n", "d:1: message 1: role \"tool\" is not system, user or assistant"},
		{"jsonl max_tokens zero", JSONL, "{\"prompt\": \"a\", \"max_tokens\": 0}\n", "d:1: \"max_tokens\" 0: must be a whole number in 1..1048576"},
		{"jsonl max_tokens fraction", JSONL, "{\"prompt\": \"a\", \"max_tokens\": 2.5}\n", "d:1: \"max_tokens\" 2.5: must be a whole number"},
		{"jsonl max_tokens string", JSONL, "{\"prompt\": \"a\", \"max_tokens\": \"8\"}\n", "d:1: \"max_tokens\" is a JSON string, not a number"},
		// Type errors name JSON kinds, never the Go type decoded into (float64,
		// dataset.shareGPTRecord, an anonymous struct's field tags).
		{"sharegpt record not an object", ShareGPT, "[\"just text\"]", "d:1: the record is a JSON string, not an object"},
		{"sharegpt nested list", ShareGPT, "[{\"id\": 1, \"conversations\": [[{\"from\": \"human\", \"value\": \"x\"}]]}]", "d:1: \"conversations\" is a JSON array, not an object"},
		{"jsonl messages not a list", JSONL, "{\"messages\": \"hi\"}\n", "d:1: \"messages\" is a JSON string, not a list"},
		{"text not utf-8", Text, "fine\nbad \xff byte\n", "d:2: not UTF-8 text"},
		{"unknown format", "csv", "a", "--dataset-format \"csv\": must be sharegpt, jsonl, text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("d", []byte(tt.data), tt.format)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line starting %q", err, tt.want)
			}
		})
	}
}

func TestEmptyIsErrEmpty(t *testing.T) {
	if _, err := Parse("d", nil, ""); !errors.Is(err, ErrEmpty) {
		t.Errorf("got %v, want ErrEmpty", err)
	}
}

func TestReadRefusesNonRegular(t *testing.T) {
	if _, err := Read(t.TempDir(), ""); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("got %v", err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing"), ""); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v", err)
	}
}

func TestEstimateTokens(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abcd", 1},      // four ASCII bytes, one token
		{"abcde", 2},     // rounded up
		{"日本語", 3},       // one per non-ASCII character
		{"ab 日本", 1 + 2}, // three ASCII bytes → 1, two characters → 2
	}
	for _, tt := range tests {
		if got := EstimateTokens(tt.in); got != tt.want {
			t.Errorf("EstimateTokens(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func conv(id, user string, maxTokens int) bench.Conversation {
	return bench.Conversation{ID: id, Turns: []bench.Turn{{User: user, MaxTokens: maxTokens}}}
}

func TestSelect(t *testing.T) {
	long := strings.Repeat("abcd", 100) // 100 estimated tokens
	convs := []bench.Conversation{
		conv("a", "abcd", 0), conv("b", "abcdabcd", 10), conv("long", long, 0), conv("c", "abcdabcdabcd", 0), conv("d", "x", 200),
	}
	o := SelectOptions{Seed: 1, NumCtx: 120, MaxTokens: 16}
	sel, err := Select(convs, o)
	if err != nil {
		t.Fatal(err)
	}
	// "long": 100 + 16 ≤ 120 fits; "d": 1 + its own 200 > 120 does not.
	if sel.SkippedTooLong != 1 || len(sel.Conversations) != 4 {
		t.Errorf("skipped %d, kept %d; want 1 and 4", sel.SkippedTooLong, len(sel.Conversations))
	}
	// The same seed, the same order; another seed, (here) another.
	again, _ := Select(convs, o)
	if !reflect.DeepEqual(sel, again) {
		t.Error("the same seed gave another selection")
	}
	o2 := o
	o2.Seed = 2
	other, _ := Select(convs, o2)
	if reflect.DeepEqual(sel.Conversations, other.Conversations) {
		t.Error("seeds 1 and 2 ordered the records alike (possible, but not for these five)")
	}
	// --max-tokens given overrides every turn: "d" then fits (1 + 16).
	o3 := o
	o3.MaxTokensSet = true
	all, _ := Select(convs, o3)
	if all.SkippedTooLong != 0 || len(all.Conversations) != 5 {
		t.Errorf("with --max-tokens: skipped %d, kept %d", all.SkippedTooLong, len(all.Conversations))
	}
	for _, c := range all.Conversations {
		if c.Turns[0].MaxTokens != 16 {
			t.Errorf("%s: MaxTokens %d, want 16", c.ID, c.Turns[0].MaxTokens)
		}
	}
	if convs[4].Turns[0].MaxTokens != 200 {
		t.Error("Select changed its input")
	}
	// Filters and limit: 2..50 estimated tokens keeps b (2) and c (3); the limit 1 keeps one.
	o4 := o
	o4.MinPromptTokens, o4.MaxPromptTokens, o4.Limit = 2, 50, 1
	f, _ := Select(convs, o4)
	if f.SkippedFiltered != 2 || f.SkippedTooLong != 1 || f.Unused != 1 || len(f.Conversations) != 1 {
		t.Errorf("filters: %+v", f)
	}
	// Nothing left is an error that says why.
	o5 := o
	o5.NumCtx = 10
	if _, err := Select(convs, o5); err == nil || !strings.Contains(err.Error(), "need more than --num-ctx 10") {
		t.Errorf("got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"sharegpt.json", "prompts.jsonl", "prompts.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("[{\"conversations\": [{\"from\": \"human\"}]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("f", data, "")
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("a multi-line error: %q", err)
			}
			return
		}
		for _, c := range d.Conversations {
			if len(c.Turns) == 0 {
				t.Errorf("conversation %q without a turn", c.ID)
			}
		}
	})
}

// A gpt reply's estimate sets its turn's output length within the bound a JSONL
// max_tokens and --max-tokens have: a 5,000,000-word reply (2,500,000 estimated
// tokens: 10,000,000 ASCII bytes / 4) was sent as max_tokens 2500000.
func TestReplyEstimateBounded(t *testing.T) {
	data := `[{"id": "big", "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "` +
		strings.Repeat("w ", 5_000_000) + `"}]}]`
	d, err := Parse("d", []byte(data), ShareGPT)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Conversations[0].Turns[0].MaxTokens; got != MaxTurnTokens {
		t.Errorf("MaxTokens %d, want the bound %d", got, MaxTurnTokens)
	}
}

// With conversations (--turns), a conversation is cut after its last turn whose whole
// history fits the context: each user turn here is 40 ASCII bytes (10 estimated
// tokens) with an output cap of 20, so each turn adds 30 tokens; at --num-ctx 100
// three turns fit (90) and the fourth (120) does not.
func TestSelectCutsConversationsToTheContext(t *testing.T) {
	turn := bench.Turn{User: strings.Repeat("word ", 8), MaxTokens: 20}
	c := bench.Conversation{ID: "c", Turns: []bench.Turn{turn, turn, turn, turn, turn}}
	for _, tc := range []struct {
		turns, want, cut int
	}{
		{bench.TurnsAll, 3, 2}, // five asked, three fit
		{4, 3, 1},              // four asked, three fit: only the context's cut counts
		{2, 2, 0},              // two asked, both fit
		{0, 5, 0},              // single turns: the first is sent, nothing cut
	} {
		sel, err := Select([]bench.Conversation{c}, SelectOptions{NumCtx: 100, MaxTokens: 20, Turns: tc.turns})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(sel.Conversations[0].Turns); got != tc.want || sel.TurnsCut != tc.cut {
			t.Errorf("--turns %d: %d turns kept, %d cut; want %d and %d", tc.turns, got, sel.TurnsCut, tc.want, tc.cut)
		}
	}
}
