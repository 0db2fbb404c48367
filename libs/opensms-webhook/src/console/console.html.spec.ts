import { escapeHtml, formValue, html, preformatted } from './console.html';

describe('html', () => {
  it('escapes every interpolated string, in text and in attributes', () => {
    const payload = `<script>alert(1)</script><img src=x onerror="alert('x')">&`;
    const page = html`<p title="${payload}">${payload}</p>`.markup;
    expect(page).toBe(
      '<p title="&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;">' +
        '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;</p>',
    );
  });

  it('keeps nested fragments, joins arrays and renders nothing for null, undefined and false', () => {
    const items = ['<a>', 'b'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.markup).toBe('<ul><li>&lt;a&gt;</li><li>b</li></ul>0');
  });

  it('escapes the five characters that matter', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('shows control and bidirectional characters of a value as visible escapes, then HTML-escaped', () => {
    const id = 'msg_\u202egnp.exe\u2066<b>\n\u001b[31m';
    expect(html`<td title="${id}">${id}</td>`.markup).toBe(
      '<td title="msg_\\u202egnp.exe\\u2066&lt;b&gt;\\n\\x1b[31m">msg_\\u202egnp.exe\\u2066&lt;b&gt;\\n\\x1b[31m</td>',
    );
  });

  it('keeps a form value as given (HTML-escaped only), so that it is sent back unchanged', () => {
    expect(html`<input value="${formValue('msg_\u202e"x')}">`.markup).toBe('<input value="msg_\u202e&quot;x">');
  });

  it('keeps the line breaks of preformatted text and escapes each line', () => {
    expect(html`<pre>${preformatted('{\n  "id": "a\u202eb<"\n}')}</pre>`.markup).toBe(
      '<pre>{\n  &quot;id&quot;: &quot;a\\u202eb&lt;&quot;\n}</pre>',
    );
  });
});
