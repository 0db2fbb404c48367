import { escapeHtml, html } from './console.html';

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
});
