package synth

import (
	"fmt"
	"strings"
	"sync"
)

// Token types as GGUF tokenizer.ggml.token_type stores them (llama.h enum
// llama_token_type; gguf-py TokenType).
const (
	tokenNormal      int32 = 1
	tokenControl     int32 = 3
	tokenUserDefined int32 = 4
	tokenUnused      int32 = 5
)

// specialToken is one of Qwen's added tokens.
type specialToken struct {
	text string
	typ  int32
}

// specialTokens are Qwen2.5's 22 added tokens in id order from <|endoftext|>
// (151643) to <|file_sep|> (151664), per tokenizer_config.json added_tokens_decoder
// of the Qwen2.5 Instruct models. As llama.cpp's converter does
// (convert_hf_to_gguf.py get_vocab_base, does_token_look_special), tokens marked
// special or spelled <|…|> are CONTROL, the others (<tool_call>, </tool_call>)
// USER_DEFINED.
var specialTokens = []specialToken{
	{"<|endoftext|>", tokenControl},
	{"<|im_start|>", tokenControl},
	{"<|im_end|>", tokenControl},
	{"<|object_ref_start|>", tokenControl},
	{"<|object_ref_end|>", tokenControl},
	{"<|box_start|>", tokenControl},
	{"<|box_end|>", tokenControl},
	{"<|quad_start|>", tokenControl},
	{"<|quad_end|>", tokenControl},
	{"<|vision_start|>", tokenControl},
	{"<|vision_end|>", tokenControl},
	{"<|vision_pad|>", tokenControl},
	{"<|image_pad|>", tokenControl},
	{"<|video_pad|>", tokenControl},
	{"<tool_call>", tokenUserDefined},
	{"</tool_call>", tokenUserDefined},
	{"<|fim_prefix|>", tokenControl},
	{"<|fim_middle|>", tokenControl},
	{"<|fim_suffix|>", tokenControl},
	{"<|fim_pad|>", tokenControl},
	{"<|repo_name|>", tokenControl},
	{"<|file_sep|>", tokenControl},
}

// qwen3Extra are the 4 added tokens Qwen3's tokenizer has after Qwen2.5's 22,
// ids 151665–151668 (Qwen/Qwen3-* tokenizer_config.json added_tokens_decoder, all
// "special": false, so USER_DEFINED by does_token_look_special as above). <think>
// and </think> delimit a Qwen3 answer's reasoning.
var qwen3Extra = []specialToken{
	{"<tool_response>", tokenUserDefined},
	{"</tool_response>", tokenUserDefined},
	{"<think>", tokenUserDefined},
	{"</think>", tokenUserDefined},
}

// addedTokens returns the added tokens of tokenizer t in id order from
// <|endoftext|>: Qwen2.5's 22, and for TokenizerQwen3 the 4 of qwen3Extra after them.
func addedTokens(t Tokenizer) []specialToken {
	if t == TokenizerQwen3 {
		return append(append([]specialToken(nil), specialTokens...), qwen3Extra...)
	}
	return specialTokens
}

// Offsets of the special tokens the GGUF names, from Shape.FirstSpecialID.
const (
	offEndOfText = 0 // <|endoftext|>: bos and padding id in Qwen2.5 GGUFs
	offImStart   = 1 // <|im_start|>
	offImEnd     = 2 // <|im_end|>: eos id of the Instruct models
)

// Vocab is a twin's tokenizer: a GPT-2 style byte-level BPE vocabulary as
// Ollama's qwen2 model and llama.cpp (tokenizer.ggml.model "gpt2", pre "qwen2")
// load it.
type Vocab struct {
	Tokens []string // exactly Shape.VocabSize entries, all distinct
	Types  []int32  // token types, parallel to Tokens
	Merges []string // "left right" BPE merges, by rank
	BOS    uint32   // <|endoftext|>
	EOS    uint32   // <|im_end|>
	PAD    uint32   // <|endoftext|>
}

var vocabCache sync.Map // key vocabKey → *Vocab

type vocabKey struct {
	size, firstSpecial int
	tokenizer          Tokenizer
}

// BuildVocab returns the tokenizer of shape s. It depends only on VocabSize,
// FirstSpecialID and Tokenizer (not on the seed) and is built once per process:
//
//   - ids 0–255: the 256 byte-level symbols of GPT-2 (bytes_to_unicode order, as
//     in Qwen2.5's vocab.json),
//   - then the tokens of a byte-level BPE trained (deterministically) on a list
//     of common English words, with and without the "Ġ" (space) prefix, so that
//     ordinary English prompts encode to roughly as many tokens as with a real
//     tokenizer; every intermediate piece is a token and every merge is listed,
//   - then filler pseudo-words ("Ġbako", "tefu"…) up to FirstSpecialID, printable
//     ASCII when decoded,
//   - then Qwen2.5's 22 added tokens (<|endoftext|>, <|im_start|>, <|im_end|>…),
//     and for TokenizerQwen3 <tool_response>, </tool_response>, <think>, </think>,
//   - then "[PAD<id>]" tokens of type UNUSED up to VocabSize, as llama.cpp's
//     converter pads Qwen2.5's vocabulary (151665 tokens) and Qwen3's (151669) to
//     config.json's vocab_size.
func BuildVocab(s Shape) (*Vocab, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	key := vocabKey{s.VocabSize, s.FirstSpecialID, s.tokenizer()}
	if v, ok := vocabCache.Load(key); ok {
		return v.(*Vocab), nil
	}
	v := buildVocab(s.VocabSize, s.FirstSpecialID, addedTokens(key.tokenizer))
	vocabCache.Store(key, v)
	return v, nil
}

func buildVocab(size, firstSpecial int, added []specialToken) *Vocab {
	tokens := make([]string, 0, size)
	types := make([]int32, 0, size)
	seen := make(map[string]bool, size)
	add := func(t string, typ int32) {
		tokens = append(tokens, t)
		types = append(types, typ)
		seen[t] = true
	}

	byteSyms := byteLevelSymbols()
	for _, b := range byteSyms {
		add(b, tokenNormal)
	}

	merged, merges := trainBPE(trainingWords(), firstSpecial-len(tokens))
	for _, t := range merged {
		add(t, tokenNormal)
	}

	for f := fillers(); len(tokens) < firstSpecial; {
		w := f()
		if !seen[w] {
			add(w, tokenNormal)
		}
	}

	for _, sp := range added {
		add(sp.text, sp.typ)
	}
	for len(tokens) < size {
		add(fmt.Sprintf("[PAD%d]", len(tokens)), tokenUnused)
	}

	return &Vocab{
		Tokens: tokens,
		Types:  types,
		Merges: merges,
		BOS:    uint32(firstSpecial + offEndOfText),
		EOS:    uint32(firstSpecial + offImEnd),
		PAD:    uint32(firstSpecial + offEndOfText),
	}
}

// byteLevelSymbols returns GPT-2's byte-to-unicode symbols (openai/gpt-2
// encoder.py bytes_to_unicode) in that table's own order: the printable bytes
// '!'…'~', '¡'…'¬', '®'…'ÿ' map to themselves, the other 68 bytes, in byte order,
// to U+0100 onwards (space → 'Ġ', '\n' → 'Ċ'). Qwen2.5's vocab.json has these as
// ids 0–255 in this order.
func byteLevelSymbols() []string {
	order, table := gpt2Bytes()
	out := make([]string, 256)
	for i, b := range order {
		out[i] = table[b]
	}
	return out
}

// gpt2Bytes returns the bytes in bytes_to_unicode order and each byte's symbol.
var gpt2Bytes = sync.OnceValues(func() ([]byte, [256]string) {
	var order []byte
	var table [256]string
	for b := range 256 {
		if isPrintableByte(b) {
			order = append(order, byte(b))
			table[b] = string(rune(b))
		}
	}
	n := 0
	for b := range 256 {
		if !isPrintableByte(b) {
			order = append(order, byte(b))
			table[b] = string(rune(256 + n))
			n++
		}
	}
	return order, table
})

func isPrintableByte(b int) bool {
	return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
}

// byteLevel maps a string's bytes through GPT-2's byte-to-unicode table.
func byteLevel(s string) string {
	_, table := gpt2Bytes()
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString(table[s[i]])
	}
	return b.String()
}

// weightedWord is a training word in byte-level symbols with its frequency weight.
type weightedWord struct {
	syms   []string
	weight int
}

// trainingWords returns the BPE training set: each word of englishWords with and
// without a leading space (as the qwen2 pre-tokenizer splits text), weighted by
// rank so common words are merged first, plus a few whitespace and punctuation
// pieces.
func trainingWords() []weightedWord {
	words := strings.Fields(englishWords)
	var out []weightedWord
	n := len(words)
	for i, w := range words {
		weight := 2 * (n - i)
		out = append(out, weightedWord{splitRunes(byteLevel(" " + w)), weight})
		out = append(out, weightedWord{splitRunes(byteLevel(w)), weight / 2})
	}
	for _, p := range []string{"\n\n", "  ", "    ", ".\n", ".\n\n", ", ", " (", ").", "();", " =", " {", " }", "://", "...", " \"", "'s"} {
		out = append(out, weightedWord{splitRunes(byteLevel(p)), n})
	}
	return out
}

func splitRunes(s string) []string {
	var out []string
	for _, r := range s {
		out = append(out, string(r))
	}
	return out
}

// trainBPE learns byte-level BPE merges on words, the classic way: repeatedly
// merge the most frequent adjacent pair (ties broken by the pair's text, so the
// result is deterministic) until every word is one symbol or budget new tokens
// exist. It returns the new tokens in creation order and the merges by rank, as
// "left right".
func trainBPE(words []weightedWord, budget int) (tokens, merges []string) {
	seen := make(map[string]bool)
	type pair struct{ a, b string }
	for len(tokens) < budget {
		counts := make(map[pair]int)
		for _, w := range words {
			for i := 0; i+1 < len(w.syms); i++ {
				counts[pair{w.syms[i], w.syms[i+1]}] += w.weight
			}
		}
		if len(counts) == 0 {
			break
		}
		var best pair
		bestN := -1
		for p, n := range counts {
			if n > bestN || (n == bestN && (p.a < best.a || (p.a == best.a && p.b < best.b))) {
				best, bestN = p, n
			}
		}
		joined := best.a + best.b
		merges = append(merges, best.a+" "+best.b)
		if !seen[joined] {
			seen[joined] = true
			tokens = append(tokens, joined)
		}
		for wi := range words {
			syms := words[wi].syms
			out := syms[:0]
			for i := 0; i < len(syms); i++ {
				if i+1 < len(syms) && syms[i] == best.a && syms[i+1] == best.b {
					out = append(out, joined)
					i++
					continue
				}
				out = append(out, syms[i])
			}
			words[wi].syms = out
		}
	}
	return tokens, merges
}

// fillers returns a generator of pseudo-words made of consonant-vowel syllables
// ("bako", "Ġtefu", …), alternately with and without the leading space symbol,
// two syllables first, then three, four…: printable, distinct, and not English.
func fillers() func() string {
	const cons, vows = "bcdfghjklmnprstvwz", "aeiou"
	syl := make([]string, 0, len(cons)*len(vows))
	for _, c := range cons {
		for _, v := range vows {
			syl = append(syl, string(c)+string(v))
		}
	}
	n, idx, space := 2, 0, true
	limit := len(syl) * len(syl)
	return func() string {
		if idx == limit {
			n, idx, limit = n+1, 0, limit*len(syl)
		}
		var b strings.Builder
		if space {
			b.WriteString("Ġ")
		}
		k := idx
		for range n {
			b.WriteString(syl[k%len(syl)])
			k /= len(syl)
		}
		if !space {
			idx++
		}
		space = !space
		return b.String()
	}
}

// englishWords is the BPE training list: common English words, most common
// first (general frequency lists), plus words common in benchmark prompts.
const englishWords = `
the of and to a in is it you that he was for on are with as I his they be at one
have this from or had by not word but what some we can out other were all there
when up use your how said an each she which do their time if will way about many
then them write would like so these her long make thing see him two has look more
day could go come did number sound no most people my over know water than call
first who may down side been now find any new work part take get place made live
where after back little only round man year came show every good me give our under
name very through just form sentence great think say help low line differ turn
cause much mean before move right boy old too same tell does set three want air
well also play small end put home read hand port large spell add even land here
must big high such follow act why ask men change went light kind off need house
picture try us again animal point mother world near build self earth father head
stand own page should country found answer school grow study still learn plant
cover food sun four between state keep eye never last let thought city tree cross
farm hard start might story saw far sea draw left late run while press close night
real life few north open seem together next white children begin got walk example
ease paper group always music those both mark often letter until mile river car
feet care second book carry took science eat room friend began idea fish mountain
stop once base hear horse cut sure watch color face wood main enough plain girl
usual young ready above ever red list though feel talk bird soon body dog family
direct pose leave song measure door product black short numeral class wind question
happen complete ship area half rock order fire south problem piece told knew pass
since top whole king space heard best hour better true during hundred five remember
step early hold west ground interest reach fast verb sing listen six table travel
less morning ten simple several vowel toward war lay against pattern slow center
love person money serve appear road map rain rule govern pull cold notice voice
unit power town fine certain fly fall lead cry dark machine note wait plan figure
star box noun field rest correct able pound done beauty drive stood contain front
teach week final gave green oh quick develop ocean warm free minute strong special
mind behind clear tail produce fact street inch multiply nothing course stay wheel
full force blue object decide surface deep moon island foot system busy test record
boat common gold possible plane stead dry wonder laugh thousand ago ran check game
shape equate hot miss brought heat snow tire bring yes distant fill east paint
language among model data answer explain summarize describe write code function
return value file error result list input output model language large benchmark
token speed memory question history science computer program software hardware
server request response user assistant system message please thank hello Hello The
This What How Why When Where Who Which In It A I You We They If For Please Explain
Write Describe Summarize Give List Tell Here Let Sure Yes No Thank
`
