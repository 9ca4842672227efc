# winnow html2text: plain and .gz pages, stdin, --all / --explain / --info, a windows-1252
# page, binary junk (warned, exit 0), a missing file (exit 1), bad usage (exit 2).
set -u
W=$WINNOW
cat > "$TMP/p.html" <<'HTML'
<html><head><title>Budget vote</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Budget vote</h1>
<p>The council met on Tuesday to discuss the proposal, which would change how the city funds libraries, parks and schools.</p>
<p>Members said the plan, first drafted last spring, needs another public hearing before a final vote in December.</p>
<pre>  total = 42;
  done</pre>
</article><footer>Copyright 2020. Privacy policy.</footer></body></html>
HTML
out=$($W html2text "$TMP/p.html") || exit 1
printf '%s\n' "$out" | head -1 | grep -q '^The council met on Tuesday' || { echo "first line: $out"; exit 1; }
printf '%s\n' "$out" | grep -q '^  total = 42;$' || { echo "pre not verbatim: $out"; exit 1; }
printf '%s\n' "$out" | grep -q 'Home\|Copyright' && { echo "chrome kept: $out"; exit 1; }
[ "$(printf '%s\n' "$out" | wc -l)" -eq 4 ] || { echo "expected 4 lines: $out"; exit 1; }
gzip -c "$TMP/p.html" > "$TMP/p.html.gz"
[ "$($W html2text "$TMP/p.html.gz")" = "$out" ] || { echo ".gz differs"; exit 1; }
[ "$($W html2text - < "$TMP/p.html")" = "$out" ] || { echo "stdin differs"; exit 1; }
$W html2text --all "$TMP/p.html" | grep -q '^Home News$' || { echo "--all must keep the nav"; exit 1; }
$W html2text --explain "$TMP/p.html" | grep -q '^- .*chrome.*| Home News' || { echo "--explain"; exit 1; }
$W html2text --info "$TMP/p.html" | grep -q '^title: Budget vote$' || { echo "--info title"; exit 1; }

# windows-1252 named by --charset; the output is UTF-8
printf '<p>Caf\351 cr\350me br\373l\351e, na\357ve \223quotes\224</p>' > "$TMP/l.html"
$W html2text --all --charset iso-8859-1 "$TMP/l.html" | grep -q 'Café crème brûlée, naïve “quotes”' \
    || { echo "charset"; exit 1; }

# binary junk (the head of an ELF binary): a warning, no text, still exit 0
head -c 16384 "$W" > "$TMP/junk.bin"
err=$($W html2text "$TMP/junk.bin" 2>&1 >/dev/null); rc=$?
[ $rc -eq 0 ] || { echo "junk exit $rc"; exit 1; }
printf '%s' "$err" | grep -q 'not html' || { echo "junk warning: $err"; exit 1; }

$W html2text "$TMP/nope.html" 2>/dev/null; [ $? -eq 1 ] || { echo "missing file must exit 1"; exit 1; }
$W html2text 2>/dev/null; [ $? -eq 2 ] || { echo "no file must exit 2"; exit 1; }
$W html2text --bogus x 2>/dev/null; [ $? -eq 2 ] || { echo "bad option must exit 2"; exit 1; }
exit 0
