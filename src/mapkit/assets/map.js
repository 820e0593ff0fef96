/* mapkit page script.
 *
 * Reads the configuration from the JSON script element #mapkit-data (parsed once). The sites come
 * in it as one base64 blob of raw-deflate pieces (see mapkit.render.pack_sites): the "light" part
 * (the properties the map, the filters, the search and the list need, one array per property,
 * plus the points and the country outlines) is decoded before the page is ready; the "heavy" part
 * (events, sources, notes, every other property) comes in chunks of rows, decoded only when a
 * popup, a site's details or a download needs them (the browser's own DecompressionStream; no
 * third-party code). The script draws the sites over the country outlines and runs the filter
 * panel, the list, the legend, the URL-hash state and the download. Every value from the data
 * reaches the page as text (textContent, DOM nodes, attribute values); only http(s) URLs become
 * links.
 *
 * The filter rules are the ones of mapkit.filters (Python), from the same field lists, which the
 * build embeds in the configuration: AND across fields, OR within a field; operator "" = none;
 * opened_from/opened_to compare the year of `opened` and leave out sites without one; free text
 * is split on white space and every word must occur in one of the text fields, ignoring case and
 * accents.
 */
(function () {
  'use strict';

  var PARTIAL_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
  var LIST_PAGE = 200;
  // heavy data up to this many bytes of JSON is decoded in idle time after the page is ready
  var PREFETCH_BYTES = 4 << 20;
  // decoded heavy chunks kept for popups (a few hundred KB of JSON each)
  var KEEP_CHUNKS = 64;

  // ------------------------------------------------------------------ small helpers

  /* 'activate' for Enter and Space (what a button does on them), 'escape' for Escape. */
  function keyOf(e) {
    if (!e || e.altKey || e.ctrlKey || e.metaKey) return null;
    if (e.key === 'Enter' || e.key === ' ' || e.key === 'Spacebar') return 'activate';
    if (e.key === 'Escape' || e.key === 'Esc') return 'escape';
    return null;
  }

  function fold(s) {
    return String(s).normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  }

  function partialYear(v) {
    return typeof v === 'string' && PARTIAL_DATE.test(v) ? parseInt(v.slice(0, 4), 10) : null;
  }

  /* The earliest day a partial date allows, as a sortable string ('' if none). */
  function dateKey(v) {
    if (typeof v !== 'string' || !PARTIAL_DATE.test(v)) return '';
    if (v.length === 4) return v + '-01-01';
    if (v.length === 7) return v + '-01';
    return v;
  }

  /* An http(s) URL as a normalised string, or null for anything else (javascript:, data:, ...). */
  function safeUrl(u) {
    if (typeof u !== 'string') return null;
    var s = u.trim();
    if (!/^https?:\/\//i.test(s)) return null;
    try {
      var parsed = new URL(s);
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed.href;
    } catch (e) { /* not a URL */ }
    return null;
  }

  function text(v) {
    return v === null || v === undefined ? '' : String(v);
  }

  /* Create an element: attrs are set as attributes (never parsed as HTML), children appended;
     strings become text nodes. */
  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === 'class') node.className = value;
        else if (key === 'text') node.textContent = text(value);
        else node.setAttribute(key, value === true ? '' : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  function link(url, label, cls) {
    var href = safeUrl(url);
    if (!href) return null;
    return h('a', { href: href, target: '_blank', rel: 'noopener noreferrer', class: cls }, [label]);
  }

  /* 12,345 (toLocaleString would do, but its first call costs ~15 ms of ICU set-up) */
  function num(n) {
    var s = String(n);
    return s.length > 3 ? s.replace(/\B(?=(\d{3})+(?!\d))/g, ',') : s;
  }

  function plural(n, one, many) {
    return num(n) + ' ' + (n === 1 ? one : many);
  }

  // ------------------------------------------------------------------ the embedded data

  function base64Bytes(s) {
    if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(s);
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  /* Bytes [start, end) of the base64 blob, decoding only the base64 groups that hold them. */
  function blobBytes(b64, start, end) {
    var a = Math.floor(start / 3);
    var b = Math.ceil(end / 3);
    return base64Bytes(b64.slice(a * 4, b * 4)).subarray(start - a * 3, end - a * 3);
  }

  /* Raw-deflate bytes -> the JSON value they hold (a Promise). */
  function inflateJSON(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    return new Response(stream).text().then(JSON.parse);
  }

  /* Outlines as GeoJSON: rings come as integer steps in 1/100 degree. */
  function outlinesGeoJSON(packed) {
    var features = (packed.features || []).map(function (f) {
      var geometry = f[2];
      if (Array.isArray(geometry)) {
        geometry = {
          type: 'MultiPolygon',
          coordinates: geometry.map(function (poly) {
            return poly.map(function (steps) {
              var ring = new Array(steps.length / 2);
              var x = 0, y = 0;
              for (var k = 0; k < steps.length; k += 2) {
                x += steps[k];
                y += steps[k + 1];
                ring[k / 2] = [x / 100, y / 100];
              }
              return ring;
            });
          })
        };
      }
      return { type: 'Feature', properties: { iso_a2: f[0], name: f[1] }, geometry: geometry };
    });
    return { type: 'FeatureCollection', features: features };
  }

  // ------------------------------------------------------------------ the page

  function Page(map, dataNode) {
    var cfg = JSON.parse(dataNode.textContent);
    this.map = map;
    this.cfg = cfg;
    this.data = cfg.data;
    this.meta = cfg.meta || {};
    this.NONE = cfg.none;
    this.facets = cfg.facets;
    this.statusInfo = {};
    var self = this;
    cfg.statuses.forEach(function (s) { self.statusInfo[s.value] = s; });
    this.modeLabels = {};
    cfg.modes.forEach(function (m) { self.modeLabels[m.value] = m.label; });
    this.approximate = {};
    cfg.approximate.forEach(function (p) { self.approximate[p] = true; });
    this.state = this.emptyState();
    this.lastHash = null;
    this.listLimit = LIST_PAGE;
    this.chunkCache = {};
    this.chunkOrder = [];
    this.popupToken = 0;
  }

  /* The light part: the columns the map needs, the points, the outlines. Embedded as JSON when
     small (then taken at once, and load returns null), else decoded (load returns a Promise). */
  Page.prototype.load = function () {
    var self = this;
    var d = this.data;
    var take = function (light) {
      self.cols = light.columns;
      self.x = light.x;
      self.y = light.y;
      self.otherGeometry = light.geometry || {};
      self.outlines = outlinesGeoJSON(light.outlines);
      self.index();
    };
    if (d.lightInline) {
      take(d.lightInline);
      d.lightInline = null;
      return null;
    }
    return inflateJSON(blobBytes(d.blob, d.chunks[0], d.chunks[1])).then(take);
  };

  /* A light property of site i (undefined if the data has no such column). */
  Page.prototype.val = function (i, field) {
    var col = this.cols[field];
    return col === undefined ? undefined : col[i];
  };

  /* The heavy columns of chunk k (a Promise of [[column values], ...]); the most recently
     decoded chunks are kept. */
  Page.prototype.chunk = function (k) {
    var cached = this.chunkCache[k];
    if (cached) return cached;
    var d = this.data;
    var promise = inflateJSON(blobBytes(d.blob, d.chunks[k + 1], d.chunks[k + 2]));
    this.chunkCache[k] = promise;
    this.chunkOrder.push(k);
    if (this.chunkOrder.length > KEEP_CHUNKS) delete this.chunkCache[this.chunkOrder.shift()];
    var self = this;
    promise.catch(function () {
      if (self.chunkCache[k] !== promise) return;
      delete self.chunkCache[k];
      self.chunkOrder.splice(self.chunkOrder.indexOf(k), 1);
    });
    return promise;
  };

  /* Every property of site i, in the data's order (named properties always, others when set),
     from the light columns and a decoded heavy chunk. */
  Page.prototype.properties = function (i, chunk) {
    var d = this.data;
    var row = i - Math.floor(i / d.chunkRows) * d.chunkRows;
    var heavyAt = this.heavyAt;
    var props = {};
    for (var k = 0; k < d.columns.length; k++) {
      var name = d.columns[k];
      var h = heavyAt[name];
      var v = h === undefined ? this.cols[name][i] : chunk[h][row];
      if (v === null || v === undefined) {
        if (d.named[k]) props[name] = null;
      } else {
        props[name] = v;
      }
    }
    return props;
  };

  /* Every property of site i (a Promise). */
  Page.prototype.details = function (i) {
    var self = this;
    return this.chunk(Math.floor(i / this.data.chunkRows)).then(function (chunk) {
      return self.properties(i, chunk);
    });
  };

  /* Site i as the GeoJSON Feature mapkit.io.to_feature_collection gives. */
  Page.prototype.feature = function (i, props) {
    var geometry = this.otherGeometry[String(i)];
    if (geometry === undefined) {
      geometry = this.x[i] === null || this.x[i] === undefined ? null :
        { type: 'Point', coordinates: [this.x[i] / 1e6, this.y[i] / 1e6] };
    }
    return { type: 'Feature', id: props.id === undefined ? null : props.id, geometry: geometry, properties: props };
  };

  /* Decode the heavy chunks while the page is idle, when they are small (popups then open at once). */
  Page.prototype.prefetch = function () {
    var d = this.data;
    if (d.heavyBytes > PREFETCH_BYTES) return;
    var self = this;
    var k = 0;
    var next = function () {
      if (k >= d.chunks.length - 2) return;
      self.chunk(k++).then(next, function () { /* decoded again when needed */ });
    };
    setTimeout(next, 0);
  };

  Page.prototype.emptyState = function () {
    var st = { from: null, to: null, text: '', sort: 'name', lines: false, site: null };
    this.facets.forEach(function (f) { st[f] = []; });
    return st;
  };

  /* Precompute per-facet value codes, years, locations and sort orders (once). */
  Page.prototype.index = function () {
    var self = this;
    var d = this.data;
    var n = d.n;
    this.n = n;
    this.heavyAt = {};
    d.heavy.forEach(function (name, k) { self.heavyAt[name] = k; });
    var none = new Array(n); // a column the data does not have: all null
    for (var j = 0; j < n; j++) none[j] = null;
    this.facets.forEach(function (f) { if (!self.cols[f]) self.cols[f] = none; });
    this.values = {};
    this.codes = {};
    this.valueIndex = {};
    this.facets.forEach(function (f) {
      var seen = Object.create(null);
      var vals = [];
      var codes = new Uint32Array(n);
      var col = self.cols[f];
      for (var i = 0; i < n; i++) {
        var v = col[i];
        v = v === null || v === undefined ? self.NONE : String(v);
        var c = seen[v];
        if (c === undefined) { c = seen[v] = vals.length; vals.push(v); }
        codes[i] = c;
      }
      self.values[f] = vals;
      self.codes[f] = codes;
      self.valueIndex[f] = seen;
    });
    this.years = new Int32Array(n);
    this.lat = new Float64Array(n);
    this.lon = new Float64Array(n);
    this.located = new Uint8Array(n);
    this.byId = Object.create(null);
    var opened = this.cols.opened || none;
    var ids = this.cols.id || none;
    var xs = this.x, ys = this.y;
    var yearOf = Object.create(null); // dates repeat: parse each one once
    var nLocated = 0;
    for (var i = 0; i < n; i++) {
      var o = opened[i];
      if (o === null || o === undefined) {
        this.years[i] = -2147483648;
      } else {
        var y = yearOf[o];
        if (y === undefined) {
          y = partialYear(o);
          y = yearOf[o] = y === null ? -2147483648 : y;
        }
        this.years[i] = y;
      }
      if (xs[i] !== null && xs[i] !== undefined) {
        this.lon[i] = xs[i] / 1e6;
        this.lat[i] = ys[i] / 1e6;
        this.located[i] = 1;
        nLocated++;
      }
      var id = ids[i];
      if (id !== null && id !== undefined) this.byId[String(id)] = i;
    }
    this.nLocated = nLocated;
    this.haystacks = null; // built on first text search
    this.orders = {};
  };

  Page.prototype.haystack = function () {
    if (!this.haystacks) {
      var self = this;
      var cols = this.cfg.textFields.map(function (f) { return self.cols[f]; }).filter(Boolean);
      var out = new Array(this.n);
      for (var i = 0; i < this.n; i++) {
        var parts = [];
        for (var k = 0; k < cols.length; k++) {
          if (typeof cols[k][i] === 'string') parts.push(fold(cols[k][i]));
        }
        out[i] = parts.join('\n');
      }
      this.haystacks = out;
    }
    return this.haystacks;
  };

  /* Indices of all sites in the given sort order (computed once per key). */
  Page.prototype.order = function (key) {
    if (this.orders[key]) return this.orders[key];
    var self = this;
    var n = this.n;
    var idx = new Array(n);
    var names = new Array(n);
    for (var i = 0; i < n; i++) {
      idx[i] = i;
      names[i] = fold(text(this.val(i, 'name') || this.val(i, 'id')));
    }
    function byName(a, b) { return names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : a - b; }
    var cmp = byName;
    if (key === 'country') {
      var cn = idx.map(function (i) { return fold(self.countryName(self.val(i, 'country'))); });
      cmp = function (a, b) { return cn[a] < cn[b] ? -1 : cn[a] > cn[b] ? 1 : byName(a, b); };
    } else if (key === 'status') {
      var rank = {};
      this.cfg.statuses.forEach(function (s, r) { rank[s.value] = r; });
      var sr = idx.map(function (i) {
        var s = self.val(i, 'status');
        return s in rank ? rank[s] : 99;
      });
      cmp = function (a, b) { return sr[a] - sr[b] || byName(a, b); };
    } else if (key === 'date') {
      // newest status date first; sites without one last
      var dk = idx.map(function (i) { return dateKey(self.val(i, 'status_date')); });
      cmp = function (a, b) {
        if (dk[a] === dk[b]) return byName(a, b);
        if (!dk[a]) return 1;
        if (!dk[b]) return -1;
        return dk[a] < dk[b] ? 1 : -1;
      };
    }
    idx.sort(cmp);
    this.orders[key] = idx;
    return idx;
  };

  Page.prototype.countryName = function (code) {
    if (code === null || code === undefined || code === '') return '';
    var name = this.cfg.countries[code];
    return name || String(code);
  };

  Page.prototype.operatorName = function (id) {
    if (id === null || id === undefined || id === this.NONE) return '';
    var op = this.cfg.operators[id];
    return op && op.name ? String(op.name) : String(id);
  };

  Page.prototype.valueLabel = function (facet, value) {
    if (facet === 'status') return value === this.NONE ? '(no status)' : (this.statusInfo[value] ? this.statusInfo[value].label : value);
    if (facet === 'mode') return value === this.NONE ? '(no mode)' : (this.modeLabels[value] || value);
    if (facet === 'country') return value === this.NONE ? '(no country)' : this.countryName(value) + ' (' + value + ')';
    if (facet === 'operator') return value === this.NONE ? 'No bureau named' : this.operatorName(value);
    return value;
  };

  Page.prototype.statusColor = function (status) {
    var info = this.statusInfo[status];
    return info ? info.color : '#444444';
  };

  /* The light properties of site i, as an object (what labels, rows and markers show). */
  Page.prototype.brief = function (i) {
    var p = {};
    var cols = this.cols;
    for (var name in cols) p[name] = cols[name][i];
    return p;
  };

  Page.prototype.siteLabel = function (i) {
    var p = this.brief(i);
    var parts = [text(p.name || p.id)];
    var info = this.statusInfo[p.status];
    parts.push(info ? info.label : text(p.status));
    var place = [text(p.city), this.countryName(p.country)].filter(Boolean).join(', ');
    if (place) parts.push(place);
    if (p.mode === 'cloud') parts.push('online only');
    var precision = text(this.cfg.precisions[p.location_precision] || p.location_precision);
    if (this.approximate[p.location_precision]) parts.push('location approximate (' + precision + ')');
    else if (precision && p.location_precision !== 'address') parts.push('location precision: ' + precision);
    return parts.join('; ');
  };

  // ------------------------------------------------------------------ filtering

  /* Apply the filters: the shown indices, and per facet the count of each value among the sites
     that every *other* filter keeps. One pass over the precomputed codes. */
  Page.prototype.compute = function () {
    var self = this;
    var st = this.state;
    var facets = this.facets;
    var F = facets.length;
    var active = [];
    var sel = [];
    var codes = [];
    var counts = [];
    facets.forEach(function (f, k) {
      var vals = self.values[f];
      var mask = new Uint8Array(vals.length);
      st[f].forEach(function (v) {
        var c = self.valueIndex[f][v];
        if (c !== undefined) mask[c] = 1;
      });
      active[k] = st[f].length > 0;
      sel[k] = mask;
      codes[k] = self.codes[f];
      counts[k] = new Uint32Array(vals.length);
    });
    var yearOn = st.from !== null || st.to !== null;
    var lo = st.from === null ? -1e9 : st.from;
    var hi = st.to === null ? 1e9 : st.to;
    var words = fold(st.text).split(/\s+/).filter(Boolean);
    var hay = words.length ? this.haystack() : null;
    var years = this.years;
    var shown = [];
    var shownMask = new Uint8Array(this.n);
    for (var i = 0; i < this.n; i++) {
      var fails = 0;
      var failed = -1;
      for (var k = 0; k < F; k++) {
        if (active[k] && !sel[k][codes[k][i]]) {
          fails++;
          failed = k;
          if (fails > 1) break;
        }
      }
      if (fails > 1) continue;
      if (yearOn) {
        var y = years[i];
        if (y === -2147483648 || y < lo || y > hi) continue;
      }
      if (hay) {
        var hs = hay[i];
        var ok = true;
        for (var w = 0; w < words.length; w++) {
          if (hs.indexOf(words[w]) === -1) { ok = false; break; }
        }
        if (!ok) continue;
      }
      if (fails === 0) {
        shown.push(i);
        shownMask[i] = 1;
        for (k = 0; k < F; k++) counts[k][codes[k][i]]++;
      } else {
        counts[failed][codes[failed][i]]++;
      }
    }
    var result = { shown: shown, mask: shownMask, counts: {} };
    facets.forEach(function (f, k) { result.counts[f] = counts[k]; });
    return result;
  };

  /* The filter in the form mapkit.filters.normalize_filters returns (only what is set). */
  Page.prototype.chosenFilter = function () {
    var st = this.state;
    var out = {};
    var orderOf = function (list) {
      return function (a, b) { return list.indexOf(a) - list.indexOf(b); };
    };
    var statusOrder = this.cfg.statuses.map(function (s) { return s.value; });
    var modeOrder = this.cfg.modes.map(function (m) { return m.value; });
    this.facets.forEach(function (f) {
      if (!st[f].length) return;
      var vals = st[f].slice();
      if (f === 'status') vals.sort(orderOf(statusOrder));
      else if (f === 'mode') vals.sort(orderOf(modeOrder));
      else vals.sort();
      out[f] = vals;
    });
    if (st.from !== null) out.opened_from = st.from;
    if (st.to !== null) out.opened_to = st.to;
    var t = st.text.split(/\s+/).filter(Boolean).join(' ');
    if (t) out.text = t;
    return out;
  };

  // ------------------------------------------------------------------ URL hash state

  Page.prototype.toHash = function (st) {
    var params = new URLSearchParams();
    var self = this;
    this.facets.forEach(function (f) {
      st[f].forEach(function (v) { params.append(f, v === self.NONE ? '-' : v); });
    });
    if (st.from !== null) params.set('from', String(st.from));
    if (st.to !== null) params.set('to', String(st.to));
    if (st.text.trim()) params.set('q', st.text.trim());
    if (st.sort !== 'name') params.set('sort', st.sort);
    if (st.lines) params.set('lines', '1');
    if (st.site) params.set('site', st.site);
    var s = params.toString();
    return s ? '#' + s : '';
  };

  Page.prototype.fromHash = function (hash) {
    var st = this.emptyState();
    var params = new URLSearchParams((hash || '').replace(/^#/, ''));
    var self = this;
    this.facets.forEach(function (f) {
      var seen = {};
      params.getAll(f).forEach(function (v) {
        v = v === '-' ? self.NONE : v;
        if (!seen[v]) { seen[v] = true; st[f].push(v); }
      });
    });
    var year = function (v) {
      if (v === null || !/^-?\d{1,6}$/.test(v.trim())) return null;
      return parseInt(v, 10);
    };
    st.from = year(params.get('from'));
    st.to = year(params.get('to'));
    st.text = params.get('q') || '';
    var sort = params.get('sort');
    st.sort = ['name', 'country', 'status', 'date'].indexOf(sort) >= 0 ? sort : 'name';
    st.lines = params.get('lines') === '1' && this.cfg.operatorLines;
    st.site = params.get('site') || null;
    return st;
  };

  /* Record the state in the URL: a new history entry, so Back steps back. */
  Page.prototype.pushState = function () {
    var hash = this.toHash(this.state);
    if (hash === (location.hash || '')) { this.lastHash = hash; return; }
    var url = hash || location.pathname + location.search;
    try {
      history.pushState(null, '', url);
    } catch (e) {
      location.hash = hash;
    }
    this.lastHash = hash;
  };

  Page.prototype.onHashChange = function () {
    var hash = location.hash || '';
    if (hash === this.lastHash) return;
    this.lastHash = hash;
    this.state = this.fromHash(hash);
    this.listLimit = LIST_PAGE;
    this.restoring = true;
    try { this.update(); } finally { this.restoring = false; }
    if (this.state.site) this.focusSite(this.state.site, false);
  };

  /* A filter changed: redraw, record it. */
  Page.prototype.changed = function () {
    this.state.site = null;
    this.listLimit = LIST_PAGE;
    this.update();
    this.pushState();
  };

  // ------------------------------------------------------------------ header and panel

  Page.prototype.buildHeader = function () {
    var cfg = this.cfg;
    var header = document.getElementById('mk-header');
    var meta = this.meta;
    var bits = [];
    if (meta.version) bits.push('Data version ' + text(meta.version));
    if (meta.updated) bits.push('updated ' + text(meta.updated));
    var total = plural(this.n, 'site', 'sites');
    var off = this.n - this.nLocated;
    if (off) total += ' (' + num(off) + ' not on the map)';
    bits.push(total);
    this.toggle = h('button', { type: 'button', class: 'mk-toggle', 'aria-expanded': 'false', 'aria-controls': 'mk-panel' }, ['Filters & list']);
    var children = [
      h('div', { class: 'mk-titles' }, [
        h('h1', { class: 'mk-title', text: cfg.title }),
        cfg.description ? this.descriptionLine(cfg.description) : null,
        h('p', { class: 'mk-meta', text: bits.join(' · ') }),
        cfg.prefilterText ? h('p', { class: 'mk-meta', text: 'This map shows a selection: ' + cfg.prefilterText }) : null
      ]),
      this.toggle
    ];
    children.forEach(function (c) { if (c) header.appendChild(c); });
    var self = this;
    this.toggle.addEventListener('click', function () { self.setPanelOpen(!self.panelOpen); });
  };

  /* The dataset description (its caveats) in the header: clamped to a line or two, with a button
     that shows all of it when it does not fit. */
  Page.prototype.descriptionLine = function (description) {
    var p = h('p', { class: 'mk-description', id: 'mk-description', text: description });
    var more = h('button', { type: 'button', class: 'mk-desc-more', 'aria-expanded': 'false', 'aria-controls': 'mk-description', hidden: true }, ['Read more']);
    var row = h('div', { class: 'mk-desc-row' }, [p, more]);
    var expanded = false;
    var fit = function () {
      // the button is there only while it has something to show or to hide
      if (!expanded) more.hidden = p.scrollHeight <= p.clientHeight + 1;
    };
    more.addEventListener('click', function () {
      expanded = !expanded;
      row.classList.toggle('mk-expanded', expanded);
      more.setAttribute('aria-expanded', expanded ? 'true' : 'false');
      more.textContent = expanded ? 'Show less' : 'Read more';
      fit();
    });
    this.fitDescription = fit;
    if (typeof ResizeObserver === 'function') new ResizeObserver(fit).observe(p);
    return row;
  };

  Page.prototype.setPanelOpen = function (open) {
    this.panelOpen = open;
    document.body.classList.toggle('mk-panel-open', open);
    this.toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    this.toggle.textContent = open ? 'Show map' : 'Filters & list';
    var map = this.map;
    setTimeout(function () { map.invalidateSize(); }, 0);
  };

  Page.prototype.isNarrow = function () {
    return window.matchMedia && window.matchMedia('(max-width: 600px)').matches;
  };

  Page.prototype.facetFieldset = function (facet, legend, opts) {
    var self = this;
    var fs = h('fieldset', { class: 'mk-facet mk-facet-' + facet });
    fs.appendChild(h('legend', { text: legend }));
    var list = h('div', { class: 'mk-options' + (opts && opts.scroll ? ' mk-scroll' : '') });
    var values = this.values[facet].slice();
    // also offer values chosen in the URL that no site has (count 0), so they can be cleared
    this.state[facet].forEach(function (v) { if (values.indexOf(v) < 0) values.push(v); });
    if (opts && opts.order) values.sort(opts.order);
    var rows = [];
    values.forEach(function (v, n) {
      var id = 'mk-' + facet + '-' + n;
      var box = h('input', { type: 'checkbox', id: id, value: v });
      var count = h('span', { class: 'mk-count' });
      var label = h('label', { for: id, class: 'mk-option' }, [box]);
      if (facet === 'status') {
        label.appendChild(h('span', { class: 'mk-swatch', style: 'background:' + self.statusColor(v), 'aria-hidden': 'true' }));
      }
      label.appendChild(h('span', { class: 'mk-option-label', text: self.valueLabel(facet, v) }));
      label.appendChild(count);
      box.addEventListener('change', function () {
        var list = self.state[facet];
        var at = list.indexOf(v);
        if (box.checked && at < 0) list.push(v);
        if (!box.checked && at >= 0) list.splice(at, 1);
        self.changed();
      });
      list.appendChild(label);
      rows.push({ value: v, box: box, count: count, label: label, search: fold(self.valueLabel(facet, v)) });
    });
    if (opts && opts.search) {
      var sid = 'mk-' + facet + '-search';
      var search = h('input', { type: 'search', id: sid, class: 'mk-input', placeholder: 'Search ' + legend.toLowerCase(), 'aria-label': 'Search ' + legend.toLowerCase(), autocomplete: 'off' });
      search.addEventListener('input', function () {
        var q = fold(search.value.trim());
        rows.forEach(function (r) { r.label.hidden = q !== '' && r.search.indexOf(q) === -1; });
      });
      fs.appendChild(search);
    }
    fs.appendChild(list);
    this.facetRows[facet] = rows;
    return fs;
  };

  Page.prototype.buildPanel = function () {
    var self = this;
    var cfg = this.cfg;
    var panel = document.getElementById('mk-panel');
    this.facetRows = {};

    this.showing = h('p', { class: 'mk-showing', role: 'status', 'aria-live': 'polite' });
    var reset = h('button', { type: 'button', class: 'mk-button', text: 'Reset filters' });
    reset.addEventListener('click', function () {
      var st = self.emptyState();
      st.sort = self.state.sort;
      st.lines = self.state.lines;
      self.state = st;
      self.changed();
    });
    var download = h('button', { type: 'button', class: 'mk-button mk-primary', text: 'Download shown sites' });
    download.addEventListener('click', function () { self.download(); });
    this.downloadButton = download;
    panel.appendChild(h('div', { class: 'mk-summary' }, [this.showing, h('div', { class: 'mk-actions' }, [reset, download])]));

    // free text
    this.textInput = h('input', { type: 'search', id: 'mk-text', class: 'mk-input', autocomplete: 'off', placeholder: 'Name, city, address, host, operator' });
    var timer = null;
    this.textInput.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (self.textInput.value === self.state.text) return;
        self.state.text = self.textInput.value;
        self.changed();
      }, 250);
    });
    panel.appendChild(h('div', { class: 'mk-field' }, [h('label', { for: 'mk-text', text: 'Search' }), this.textInput]));

    var statusOrder = cfg.statuses.map(function (s) { return s.value; });
    panel.appendChild(this.facetFieldset('status', 'Status', {
      order: function (a, b) { return rank(statusOrder, a) - rank(statusOrder, b); }
    }));
    panel.appendChild(this.facetFieldset('country', 'Country', {
      search: true, scroll: true,
      order: function (a, b) {
        var x = fold(self.countryName(a)), y = fold(self.countryName(b));
        return x < y ? -1 : x > y ? 1 : 0;
      }
    }));
    var modeOrder = cfg.modes.map(function (m) { return m.value; });
    panel.appendChild(this.facetFieldset('mode', 'Mode', {
      order: function (a, b) { return rank(modeOrder, a) - rank(modeOrder, b); }
    }));
    panel.appendChild(this.facetFieldset('operator', 'Operator (police bureau)', {
      scroll: true,
      order: function (a, b) {
        if (a === self.NONE) return 1;
        if (b === self.NONE) return -1;
        var x = fold(self.operatorName(a)), y = fold(self.operatorName(b));
        return x < y ? -1 : x > y ? 1 : 0;
      }
    }));

    // opened year range
    var years = [];
    for (var i = 0; i < this.n; i++) if (this.years[i] !== -2147483648) years.push(this.years[i]);
    var minY = years.length ? Math.min.apply(null, years) : 1990;
    var maxY = years.length ? Math.max.apply(null, years) : new Date().getFullYear();
    this.fromInput = h('input', { type: 'number', id: 'mk-from', class: 'mk-input mk-year', min: minY, max: maxY, step: 1, placeholder: String(minY), inputmode: 'numeric' });
    this.toInput = h('input', { type: 'number', id: 'mk-to', class: 'mk-input mk-year', min: minY, max: maxY, step: 1, placeholder: String(maxY), inputmode: 'numeric' });
    var onYear = function () {
      var f = self.fromInput.value.trim(), t = self.toInput.value.trim();
      var nf = /^-?\d+$/.test(f) ? parseInt(f, 10) : null;
      var nt = /^-?\d+$/.test(t) ? parseInt(t, 10) : null;
      if (nf === self.state.from && nt === self.state.to) return;
      self.state.from = nf;
      self.state.to = nt;
      self.changed();
    };
    this.fromInput.addEventListener('change', onYear);
    this.toInput.addEventListener('change', onYear);
    panel.appendChild(h('fieldset', { class: 'mk-facet mk-years' }, [
      h('legend', { text: 'Opened (year)' }),
      h('label', { for: 'mk-from', text: 'from' }), this.fromInput,
      h('label', { for: 'mk-to', text: 'to' }), this.toInput,
      h('p', { class: 'mk-hint', text: 'Sites with no opening date are left out once a year is set.' })
    ]));

    // layers
    if (cfg.operatorLines) {
      this.linesBox = h('input', { type: 'checkbox', id: 'mk-lines' });
      this.linesBox.addEventListener('change', function () {
        self.state.lines = self.linesBox.checked;
        self.update();
        self.pushState();
      });
      panel.appendChild(h('fieldset', { class: 'mk-facet' }, [
        h('legend', { text: 'Layers' }),
        h('label', { for: 'mk-lines', class: 'mk-option' }, [this.linesBox, h('span', { class: 'mk-option-label', text: 'Lines from each police bureau in China to its sites' })])
      ]));
    }

    // list of shown sites
    this.sortSelect = h('select', { id: 'mk-sort', class: 'mk-input' }, [
      h('option', { value: 'name', text: 'name' }),
      h('option', { value: 'country', text: 'country' }),
      h('option', { value: 'status', text: 'status' }),
      h('option', { value: 'date', text: 'status date (newest first)' })
    ]);
    this.sortSelect.addEventListener('change', function () {
      self.state.sort = self.sortSelect.value;
      self.listLimit = LIST_PAGE;
      self.renderList();
      self.pushState();
    });
    this.listHeading = h('h2', { class: 'mk-h2', id: 'mk-list-heading' });
    this.list = h('ul', { class: 'mk-list', 'aria-labelledby': 'mk-list-heading' });
    this.more = h('button', { type: 'button', class: 'mk-button mk-more', hidden: true });
    this.more.addEventListener('click', function () {
      self.listLimit += LIST_PAGE;
      self.renderList();
    });
    panel.appendChild(h('section', { class: 'mk-section' }, [
      this.listHeading,
      h('div', { class: 'mk-field mk-inline' }, [h('label', { for: 'mk-sort', text: 'Sort by' }), this.sortSelect]),
      this.list, this.more
    ]));

    // sites with no location
    this.offHeading = h('h2', { class: 'mk-h2', id: 'mk-off-heading' });
    this.offList = h('ul', { class: 'mk-list', 'aria-labelledby': 'mk-off-heading' });
    this.offSection = h('section', { class: 'mk-section mk-off' }, [
      this.offHeading,
      h('p', { class: 'mk-hint', text: 'These sites have no known location, so they are not drawn on the map.' }),
      this.offList
    ]);
    panel.appendChild(this.offSection);

    // details of a site without a location
    this.detail = h('section', { class: 'mk-detail', hidden: true, tabindex: '-1', 'aria-label': 'Site details' });
    panel.appendChild(this.detail);

    panel.appendChild(this.aboutSection());
  };

  function rank(list, v) {
    var r = list.indexOf(v);
    return r < 0 ? 999 : r;
  }

  Page.prototype.aboutSection = function () {
    var meta = this.meta;
    var cfg = this.cfg;
    var items = [];
    if (meta.license) items.push(h('li', null, ['Data licence: ' + text(meta.license)]));
    if (meta.citation) items.push(h('li', null, ['Cite as: ' + text(meta.citation)]));
    cfg.credits.forEach(function (c) {
      var label = text(c.name) + (c.version ? ' ' + text(c.version) : '');
      var a = c.url ? link(c.url, label) : null;
      items.push(h('li', null, [a || label, ' — ' + text(c.license) + (c.package ? ' (' + text(c.package) + ')' : '')]));
    });
    items.push(h('li', null, ['Made with ' + text(cfg.generator)]));
    return h('details', { class: 'mk-about' }, [
      h('summary', { text: 'About this map and credits' }),
      cfg.description ? h('p', { class: 'mk-about-description', text: cfg.description }) : null,
      h('p', { class: 'mk-hint', text: 'Every entry is a report attributed to its sources, not a finding of this map. ' + this.precisionWords().sentence }),
      h('ul', null, items)
    ]);
  };

  /* What the filled and the hollow drawings mean, from the precisions the build declares
     approximate (address, street and district are drawn filled; city, region, country hollow). */
  Page.prototype.precisionWords = function () {
    var self = this;
    var exact = [], approx = [];
    Object.keys(this.cfg.precisions).forEach(function (p) {
      if (p === 'none') return;
      (self.approximate[p] ? approx : exact).push(p);
    });
    var or = function (words) {
      return words.length > 1 ? words.slice(0, -1).join(', ') + ' or ' + words[words.length - 1] : words.join('');
    };
    return {
      exact: 'filled: at its ' + or(exact),
      approx: 'hollow: at a ' + or(approx) + ' centre',
      sentence: 'Filled markers are placed at the ' + or(exact) + ' the sources give; hollow markers sit at a ' +
        or(approx) + ' centre, not at an address.'
    };
  };

  // ------------------------------------------------------------------ legend

  Page.prototype.buildLegend = function () {
    var self = this;
    var Legend = L.Control.extend({
      options: { position: 'topright' },
      onAdd: function () {
        var box = h('details', { class: 'mk-legend leaflet-bar' });
        if (!self.isNarrow()) box.open = true;
        box.appendChild(h('summary', { text: 'Legend' }));
        box.appendChild(h('p', { class: 'mk-legend-hint', text: 'Click a status to filter' }));
        self.legendButtons = {};
        self.cfg.statuses.forEach(function (s) {
          var count = h('span', { class: 'mk-count' });
          var b = h('button', { type: 'button', class: 'mk-legend-item', 'aria-pressed': 'false' }, [
            h('span', { class: 'mk-swatch', style: 'background:' + s.color, 'aria-hidden': 'true' }),
            h('span', { text: s.label }), count
          ]);
          b.addEventListener('click', function () {
            var list = self.state.status;
            var at = list.indexOf(s.value);
            if (at >= 0) list.splice(at, 1); else list.push(s.value);
            self.changed();
          });
          self.legendButtons[s.value] = { button: b, count: count };
          box.appendChild(b);
        });
        var words = self.precisionWords();
        var shapes = h('ul', { class: 'mk-legend-shapes' }, [
          h('li', null, [h('span', { class: 'mk-key mk-key-exact', 'aria-hidden': 'true' }), words.exact]),
          h('li', null, [h('span', { class: 'mk-key mk-key-approx', 'aria-hidden': 'true' }), words.approx]),
          h('li', null, [h('span', { class: 'mk-key mk-key-cloud', 'aria-hidden': 'true' }), 'dashed square: online only']),
          h('li', null, [h('span', { class: 'mk-key mk-key-cluster', 'aria-hidden': 'true' }, ['3']), 'several sites'])
        ]);
        box.appendChild(shapes);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    new Legend().addTo(this.map);
  };

  // ------------------------------------------------------------------ drawing

  Page.prototype.markerClass = function (i) {
    var p = this.brief(i);
    var cls = 'mk-marker mk-s-' + String(p.status).replace(/[^a-z_]/g, '');
    if (this.approximate[p.location_precision]) cls += ' mk-approx';
    if (p.mode === 'cloud') cls += ' mk-cloud';
    return cls;
  };

  Page.prototype.setupLayers = function () {
    var self = this;
    var map = this.map;
    map.createPane('mk-outlines');
    map.getPane('mk-outlines').style.zIndex = 150; // under the tiles: shows where tiles fail
    map.createPane('mk-lines');
    map.getPane('mk-lines').style.zIndex = 390;
    map.attributionControl.addAttribution('Outlines: Natural Earth');
    L.geoJSON(this.outlines, {
      pane: 'mk-outlines',
      renderer: L.canvas({ pane: 'mk-outlines', padding: 0.1 }),
      interactive: false,
      style: { color: '#9aa3ab', weight: 0.8, fillColor: '#f4f2ec', fillOpacity: 1 }
    }).addTo(map);
    this.lineRenderer = L.canvas({ pane: 'mk-lines', padding: 0.5 });
    this.linesLayer = L.layerGroup();

    this.mode = this.nLocated > this.cfg.clusterThreshold ? 'grid' : 'cluster';
    document.body.setAttribute('data-mk-mode', this.mode);
    if (this.mode === 'cluster') {
      var SiteIcon = L.DivIcon.extend({
        createIcon: function (old) {
          var div = L.DivIcon.prototype.createIcon.call(this, old);
          div.setAttribute('aria-label', this.options.label);
          div.setAttribute('data-id', this.options.siteId);
          return div;
        }
      });
      var ClusterIcon = L.DivIcon.extend({
        createIcon: function (old) {
          var div = L.DivIcon.prototype.createIcon.call(this, old);
          while (div.firstChild) div.removeChild(div.firstChild);
          div.appendChild(h('span', { text: String(this.options.count) }));
          div.style.background = this.options.ring;
          div.setAttribute('aria-label', this.options.count + ' sites here (' + this.options.summary + '); press Enter to zoom in');
          div.setAttribute('data-count', String(this.options.count));
          return div;
        }
      });
      this.cluster = L.markerClusterGroup({
        showCoverageOnHover: false,
        maxClusterRadius: 40,
        spiderfyOnMaxZoom: true,
        chunkedLoading: false,
        iconCreateFunction: function (c) {
          var n = c.getChildCount();
          var size = n < 10 ? 30 : n < 100 ? 36 : 44;
          var mix = self.statusMix(c.getAllChildMarkers());
          return new ClusterIcon({ className: 'mk-cluster', count: n, html: '', iconSize: [size, size], ring: mix.ring, summary: mix.summary });
        }
      });
      // a click (or Enter or Space on the focused marker) opens the popup once the site's
      // details are decoded, a second one closes it; from the keyboard, focus moves into the
      // popup, and Escape (in the popup or on the marker) closes it
      var onMarker = function (e, byKey) {
        var target = e.target;
        if (self.popupOpenFor(target.mkIndex)) {
          self.map.closePopup(self.popup);
          return;
        }
        self.openPopup(target.mkIndex, target.getLatLng(), byKey === true, target, { marker: target });
      };
      var onMarkerKey = function (e) {
        var key = keyOf(e.originalEvent);
        if (key === 'activate') {
          L.DomEvent.preventDefault(e.originalEvent);
          onMarker(e, true);
        } else if (key === 'escape' && self.popupOpenFor(e.target.mkIndex)) {
          L.DomEvent.stop(e.originalEvent);
          self.map.closePopup(self.popup);
        }
      };
      // Enter or Space on a focused cluster does what a click does: zoom in to it, or spread its
      // sites out at the last zoom; focus then moves to the first site or cluster it shows
      this.cluster.on('clusterkeydown', function (e) {
        if (keyOf(e.originalEvent) !== 'activate') return;
        L.DomEvent.preventDefault(e.originalEvent);
        self.openCluster(e.layer);
      });
      this.markers = new Array(this.n);
      for (var i = 0; i < this.n; i++) {
        if (!this.located[i]) continue;
        var marker = L.marker([this.lat[i], this.lon[i]], {
          icon: new SiteIcon({ className: this.markerClass(i), html: '', iconSize: [16, 16], label: this.siteLabel(i), siteId: text(this.val(i, 'id')) }),
          keyboard: true,
          riseOnHover: true
        });
        marker.mkIndex = i;
        marker.on('click', onMarker);
        marker.on('keydown', onMarkerKey);
        this.markers[i] = marker;
      }
      this.cluster.addTo(map);
      this.onMap = new Uint8Array(this.n);
    } else {
      this.grid = new GridLayer(this);
      this.grid.addTo(map);
    }
  };

  /* Zoom in to a cluster (or spiderfy it at the last zoom), as a click on it does, then focus the
     first (in Tab order) of the markers and clusters its sites are drawn as. */
  Page.prototype.openCluster = function (cluster) {
    var self = this;
    var group = this.cluster;
    var map = this.map;
    var children = cluster.getAllChildMarkers();
    var timer = null;
    var done = function () {
      map.off('moveend', settled);
      group.off('animationend', settled);
      group.off('spiderfied', spread);
      clearTimeout(timer);
    };
    var settled = function () {
      if (group._inZoomAnimation) return; // 'animationend' comes when the clusters are redrawn
      done();
      self.focusFirst(children);
    };
    var spread = function (e) {
      done();
      self.focusFirst(e.markers);
    };
    map.on('moveend', settled);
    group.on('animationend', settled);
    group.on('spiderfied', spread);
    timer = setTimeout(done, 5000); // nothing moved (already as close as it gets)
    cluster.fire('click', { latlng: cluster.getLatLng() }, true);
  };

  /* Focus the first element in document (Tab) order that shows one of these markers. */
  Page.prototype.focusFirst = function (markers) {
    var group = this.cluster;
    var best = null;
    for (var k = 0; k < markers.length; k++) {
      var shown = group.getVisibleParent(markers[k]);
      var icon = shown && shown._icon;
      if (!icon || !icon.isConnected) continue;
      if (!best || (icon.compareDocumentPosition(best) & Node.DOCUMENT_POSITION_FOLLOWING)) best = icon;
    }
    if (best) best.focus({ preventScroll: true });
    return best;
  };

  /* The statuses inside a cluster: a ring of status colours (CSS conic gradient) and a summary. */
  Page.prototype.statusMix = function (markers) {
    var counts = {};
    var self = this;
    markers.forEach(function (m) {
      var s = self.val(m.mkIndex, 'status');
      counts[s] = (counts[s] || 0) + 1;
    });
    var total = markers.length || 1;
    var at = 0;
    var stops = [];
    var words = [];
    this.cfg.statuses.forEach(function (info) {
      var k = counts[info.value] || 0;
      if (!k) return;
      var end = at + (360 * k) / total;
      stops.push(info.color + ' ' + at.toFixed(1) + 'deg ' + end.toFixed(1) + 'deg');
      words.push(k + ' ' + info.label.toLowerCase());
      at = end;
    });
    if (at < 359.9) stops.push('#444444 ' + at.toFixed(1) + 'deg 360deg');
    return { ring: 'conic-gradient(' + stops.join(', ') + ')', summary: words.join(', ') };
  };

  Page.prototype.draw = function (result) {
    if (this.mode === 'cluster') {
      var add = [], remove = [];
      for (var i = 0; i < this.n; i++) {
        if (!this.located[i]) continue;
        var want = result.mask[i];
        if (want && !this.onMap[i]) add.push(this.markers[i]);
        else if (!want && this.onMap[i]) remove.push(this.markers[i]);
        this.onMap[i] = want;
      }
      if (remove.length) this.cluster.removeLayers(remove);
      if (add.length) this.cluster.addLayers(add);
    } else {
      this.grid.setShown(result.shown);
    }
    this.drawLines(result);
  };

  Page.prototype.drawLines = function (result) {
    if (!this.cfg.operatorLines) return;
    var map = this.map;
    this.linesLayer.clearLayers();
    if (!this.state.lines) {
      if (map.hasLayer(this.linesLayer)) map.removeLayer(this.linesLayer);
      return;
    }
    var ops = this.cfg.operators;
    var used = {};
    for (var k = 0; k < result.shown.length; k++) {
      var i = result.shown[k];
      if (!this.located[i]) continue;
      var oid = this.val(i, 'operator');
      var op = oid !== null && oid !== undefined ? ops[oid] : null;
      if (!op || !op.lonlat) continue;
      used[oid] = true;
      L.polyline([[op.lonlat[1], op.lonlat[0]], [this.lat[i], this.lon[i]]], {
        renderer: this.lineRenderer, pane: 'mk-lines', color: '#5b4a8b', weight: 1.2, opacity: 0.55, interactive: false
      }).addTo(this.linesLayer);
    }
    var self = this;
    var BureauIcon = L.DivIcon.extend({
      createIcon: function (old) {
        var div = L.DivIcon.prototype.createIcon.call(this, old);
        div.setAttribute('aria-label', this.options.label);
        return div;
      }
    });
    Object.keys(used).sort().forEach(function (oid) {
      var op = ops[oid];
      var label = 'Police bureau: ' + self.operatorName(oid);
      var m = L.marker([op.lonlat[1], op.lonlat[0]], {
        icon: new BureauIcon({ className: 'mk-bureau', html: '', iconSize: [12, 12], label: label }),
        keyboard: true
      });
      m.bindPopup(function () {
        return h('div', { class: 'mk-pop' }, [
          h('h3', { class: 'mk-pop-title', text: self.operatorName(oid) }),
          h('p', { text: [text(op.city), text(op.province)].filter(Boolean).join(', ') }),
          h('p', { class: 'mk-hint', text: 'Chinese police bureau reported to run the sites its lines lead to.' })
        ]);
      });
      m.addTo(self.linesLayer);
    });
    if (!map.hasLayer(this.linesLayer)) this.linesLayer.addTo(map);
  };

  // ------------------------------------------------------------------ popups

  /* The popup (or details) of site i, from all its properties p. */
  Page.prototype.popupContent = function (i, p) {
    var root = h('div', { class: 'mk-pop' });
    root.appendChild(h('h3', { class: 'mk-pop-title', tabindex: '-1', text: p.name || p.id }));
    var info = this.statusInfo[p.status];
    root.appendChild(h('p', { class: 'mk-pop-status' }, [
      h('span', { class: 'mk-swatch', style: 'background:' + this.statusColor(p.status), 'aria-hidden': 'true' }),
      (info ? info.label : text(p.status)) + (p.status_date ? ' (as of ' + text(p.status_date) + ')' : '')
    ]));
    var rows = [];
    var add = function (label, value) {
      if (value === null || value === undefined || value === '') return;
      rows.push(h('dt', { text: label }), h('dd', null, [value]));
    };
    add('Place', [text(p.city), this.countryName(p.country)].filter(Boolean).join(', '));
    var precision = p.location_precision ? text(this.cfg.precisions[p.location_precision] || p.location_precision) : '';
    if (p.address) add('Address', text(p.address) + (precision ? ' (precision: ' + precision + ')' : ''));
    else if (precision) add('Location', this.approximate[p.location_precision] ? 'placed at the ' + precision + ', not an address' : 'precision: ' + precision);
    add('Mode', p.mode ? text(this.modeLabels[p.mode] || p.mode) : '');
    if (p.operator) {
      var op = this.cfg.operators[p.operator];
      add('Operator', this.operatorName(p.operator) + (op && op.city ? ' (' + text(op.city) + ')' : ''));
    }
    add('Host organisation', text(p.host_organization));
    add('Opened', text(p.opened));
    add('Closed', text(p.closed));
    add('First reported by', text(p.reported_by));
    add('Notes', text(p.notes));
    if (rows.length) root.appendChild(h('dl', { class: 'mk-pop-facts' }, rows));

    var sources = Array.isArray(p.sources) ? p.sources : [];
    var sourceNumber = {};
    sources.forEach(function (s, n) { if (s && s.id !== undefined) sourceNumber[String(s.id)] = n; });

    var events = Array.isArray(p.events) ? p.events.slice() : [];
    if (events.length) {
      events.sort(function (a, b) {
        var x = dateKey(a && a.date), y = dateKey(b && b.date);
        return x < y ? -1 : x > y ? 1 : 0;
      });
      var ol = h('ol', { class: 'mk-events' });
      events.forEach(function (e) {
        if (!e || typeof e !== 'object') return;
        var li = h('li', null, [
          h('span', { class: 'mk-date', text: e.date }), ' ',
          h('span', { class: 'mk-etype', text: text(e.type).replace(/_/g, ' ') }), ': ',
          text(e.summary)
        ]);
        (Array.isArray(e.sources) ? e.sources : []).forEach(function (sid) {
          var n = sourceNumber[String(sid)];
          var label = '[' + (n === undefined ? text(sid) : String(n + 1)) + ']';
          var a = n === undefined ? null : link(sources[n].url, label, 'mk-ref');
          li.appendChild(document.createTextNode(' '));
          li.appendChild(a || h('span', { class: 'mk-ref', text: label }));
        });
        ol.appendChild(li);
      });
      root.appendChild(h('h4', { text: 'History' }));
      root.appendChild(ol);
    }
    if (sources.length) {
      var sl = h('ol', { class: 'mk-sources' });
      sources.forEach(function (s) {
        if (!s || typeof s !== 'object') return;
        var title = text(s.title || s.url || s.id);
        var li = h('li');
        if (s.publisher) li.appendChild(document.createTextNode(text(s.publisher) + ': '));
        var a = link(s.url, title);
        if (a) li.appendChild(a);
        else li.appendChild(h('span', { text: title + (s.url ? ' (link not shown: not an http(s) address)' : '') }));
        if (s.published) li.appendChild(document.createTextNode(' (' + text(s.published) + ')'));
        var archive = link(s.archive_url, 'archived copy');
        if (archive) { li.appendChild(document.createTextNode(' · ')); li.appendChild(archive); }
        sl.appendChild(li);
      });
      root.appendChild(h('h4', { text: 'Sources' }));
      root.appendChild(sl);
    }
    var own = h('a', { class: 'mk-permalink', href: '#site=' + encodeURIComponent(text(p.id)) }, ['Link to this site']);
    root.appendChild(h('p', null, [own]));
    return root;
  };

  /* Zoom to a site and open its popup (or show its details if it has no location). */
  Page.prototype.focusSite = function (id, fromList) {
    var i = this.byId[id];
    return i === undefined ? false : this.focusIndex(i, fromList);
  };

  /* row: the list row that asked (focus moves into the popup, and back to the row on Escape). */
  Page.prototype.focusIndex = function (i, fromList, row) {
    if (this.isNarrow() && this.panelOpen && this.located[i]) this.setPanelOpen(false);
    if (!this.located[i]) {
      this.showDetail(i);
      return true;
    }
    this.detail.hidden = true;
    var self = this;
    var latlng = L.latLng(this.lat[i], this.lon[i]);
    var marker = this.mode === 'cluster' ? this.markers[i] : null;
    var opener = row ? { row: row, id: row.getAttribute('data-id'), marker: marker } : null;
    if (this.mode === 'cluster') {
      if (!this.cluster.hasLayer(marker)) {
        // filtered out: show it anyway in a plain popup
        this.map.setView(latlng, Math.max(this.map.getZoom(), 8));
        this.openPopup(i, latlng, fromList, null, opener);
        return true;
      }
      this.cluster.zoomToShowLayer(marker, function () { self.openPopup(i, latlng, fromList, marker, opener); });
    } else {
      this.map.setView(latlng, Math.max(this.map.getZoom(), 10));
      this.openPopup(i, latlng, fromList, undefined, opener);
    }
    return true;
  };

  Page.prototype.popupOpenFor = function (i) {
    return !!(this.popup && this.popup.mkIndex === i && this.map.hasLayer(this.popup));
  };

  /* Open the popup of site i at latlng once its details are decoded (the last request wins).
     With focus (from the list or the keyboard) focus moves to its heading, so its links are the
     next Tab stops; opener ({marker, row}) is where focus goes back when it closes. */
  Page.prototype.openPopup = function (i, latlng, focus, marker, opener) {
    var self = this;
    var token = ++this.popupToken;
    if (marker === undefined && this.markers && this.markers[i] && this.cluster && this.cluster.hasLayer(this.markers[i])) {
      marker = this.markers[i];
    }
    return this.details(i).then(function (props) {
      if (token !== self.popupToken) return null;
      var old = self.popup;
      if (old && self.map.hasLayer(old)) {
        // one popup replaces another (a link in it, a row): focus stays in the popup
        old.mkReplaced = true;
        if (old.mkHasFocus()) {
          focus = true;
          opener = opener || old.mkOpener;
        }
      }
      var popup = L.popup({ maxWidth: 340, minWidth: 220, autoPanPadding: [20, 20] }, marker)
        .setLatLng(latlng).setContent(self.popupContent(i, props));
      popup.mkIndex = i;
      popup.mkOpener = opener || (marker ? { marker: marker } : null);
      popup.openOn(self.map);
      self.popup = popup;
      self.watchPopup(popup);
      if (focus) {
        var t = popup.getElement && popup.getElement();
        var heading = t && t.querySelector('.mk-pop-title');
        if (heading) heading.focus({ preventScroll: true });
      }
      return popup;
    });
  };

  /* Escape in a popup closes it; when a popup that has focus closes, focus goes back to what
     opened it (the marker, or the cluster now showing it; the list row). */
  Page.prototype.watchPopup = function (popup) {
    var self = this;
    var box = popup.getElement();
    var inside = false;
    popup.mkHasFocus = function () { return inside || box.contains(document.activeElement); };
    box.addEventListener('focusin', function () { inside = true; });
    box.addEventListener('focusout', function (e) {
      if (e.relatedTarget && !box.contains(e.relatedTarget)) inside = false;
    });
    box.addEventListener('mousedown', function () { inside = false; });
    box.addEventListener('keydown', function (e) {
      if (keyOf(e) !== 'escape') return;
      L.DomEvent.stop(e);
      inside = true;
      self.map.closePopup(popup);
    });
    popup.on('remove', function () {
      var active = document.activeElement;
      var had = box.contains(active) || (inside && (!active || active === document.body));
      inside = false;
      if (!had || popup.mkReplaced) return;
      if (box.contains(document.activeElement)) document.activeElement.blur();
      self.returnFocus(popup.mkOpener);
    });
  };

  Page.prototype.returnFocus = function (opener) {
    if (!opener) return false;
    var row = opener.row;
    if (row && !row.isConnected && opener.id !== undefined) {
      // the list was drawn again: the same site's row
      row = null;
      var rows = this.list.querySelectorAll('.mk-row');
      for (var k = 0; k < rows.length; k++) if (rows[k].getAttribute('data-id') === opener.id) row = rows[k];
    }
    if (row && row.offsetParent !== null) {
      row.focus({ preventScroll: false });
      return true;
    }
    var marker = opener.marker;
    if (marker && this.cluster && this.cluster.hasLayer(marker)) {
      var shown = this.cluster.getVisibleParent(marker);
      if (shown && shown._icon && shown._icon.isConnected) {
        shown._icon.focus({ preventScroll: true });
        return true;
      }
    }
    return false;
  };

  Page.prototype.showDetail = function (i) {
    var self = this;
    var token = ++this.popupToken;
    return this.details(i).then(function (props) {
      if (token !== self.popupToken) return;
      var d = self.detail;
      while (d.firstChild) d.removeChild(d.firstChild);
      var close = h('button', { type: 'button', class: 'mk-button mk-close', text: 'Close details' });
      close.addEventListener('click', function () { d.hidden = true; });
      d.appendChild(h('p', { class: 'mk-hint', text: 'Not on the map: no known location.' }));
      d.appendChild(self.popupContent(i, props));
      d.appendChild(close);
      d.hidden = false;
      if (self.isNarrow() && !self.panelOpen) self.setPanelOpen(true);
      d.focus();
    });
  };

  // ------------------------------------------------------------------ list

  Page.prototype.row = function (i) {
    var self = this;
    var p = this.brief(i);
    var id = text(p.id);
    var info = this.statusInfo[p.status];
    var b = h('button', { type: 'button', class: 'mk-row', 'data-id': id, 'aria-label': this.siteLabel(i) }, [
      h('span', { class: 'mk-swatch' + (this.approximate[p.location_precision] ? ' mk-hollow' : ''), style: (this.approximate[p.location_precision] ? 'border-color:' : 'background:') + this.statusColor(p.status), 'aria-hidden': 'true' }),
      h('span', { class: 'mk-row-text' }, [
        h('span', { class: 'mk-row-name', text: p.name || p.id }),
        h('span', { class: 'mk-row-meta', text: [
          [text(p.city), this.countryName(p.country)].filter(Boolean).join(', '),
          info ? info.label : text(p.status),
          text(p.status_date)
        ].filter(Boolean).join(' · ') })
      ])
    ]);
    b.addEventListener('click', function () { self.focusIndex(i, true, b); });
    return h('li', null, [b]);
  };

  Page.prototype.renderList = function () {
    var result = this.result;
    var order = this.order(this.state.sort);
    var mask = result.mask;
    var frag = document.createDocumentFragment();
    var shownOnMap = 0;
    var limit = this.listLimit;
    var rendered = 0;
    var offRows = [];
    for (var k = 0; k < order.length; k++) {
      var i = order[k];
      if (!mask[i]) continue;
      if (!this.located[i]) { offRows.push(i); continue; }
      shownOnMap++;
      if (rendered < limit) { frag.appendChild(this.row(i)); rendered++; }
    }
    while (this.list.firstChild) this.list.removeChild(this.list.firstChild);
    this.list.appendChild(frag);
    this.listHeading.textContent = 'On the map: ' + num(shownOnMap);
    var rest = shownOnMap - rendered;
    this.more.hidden = rest <= 0;
    this.more.textContent = rest > 0 ? 'Show ' + num(Math.min(rest, LIST_PAGE)) + ' more (' + num(rest) + ' not listed yet)' : '';
    while (this.offList.firstChild) this.offList.removeChild(this.offList.firstChild);
    var self = this;
    offRows.slice(0, Math.max(limit, LIST_PAGE)).forEach(function (i) { self.offList.appendChild(self.row(i)); });
    this.offHeading.textContent = 'Not on the map: ' + num(offRows.length);
    this.offSection.hidden = this.n === this.nLocated;
  };

  // ------------------------------------------------------------------ update

  Page.prototype.syncControls = function () {
    var st = this.state;
    var self = this;
    var result = this.result;
    this.facets.forEach(function (f) {
      var rows = self.facetRows[f] || [];
      var counts = result.counts[f];
      rows.forEach(function (r) {
        r.box.checked = st[f].indexOf(r.value) >= 0;
        var c = self.valueIndex[f][r.value];
        var n = c === undefined ? 0 : counts[c];
        r.count.textContent = String(n);
        r.label.classList.toggle('mk-zero', n === 0);
      });
    });
    if (this.legendButtons) {
      var statusCounts = result.counts.status;
      Object.keys(this.legendButtons).forEach(function (s) {
        var lb = self.legendButtons[s];
        lb.button.setAttribute('aria-pressed', st.status.indexOf(s) >= 0 ? 'true' : 'false');
        var c = self.valueIndex.status[s];
        lb.count.textContent = String(c === undefined ? 0 : statusCounts[c]);
      });
    }
    if (this.textInput.value !== st.text && (document.activeElement !== this.textInput || this.restoring)) this.textInput.value = st.text;
    this.fromInput.value = st.from === null ? '' : String(st.from);
    this.toInput.value = st.to === null ? '' : String(st.to);
    this.sortSelect.value = st.sort;
    if (this.linesBox) this.linesBox.checked = st.lines;
    var shown = result.shown.length;
    var shownOff = 0;
    for (var k = 0; k < result.shown.length; k++) if (!this.located[result.shown[k]]) shownOff++;
    this.showing.textContent = 'Showing ' + num(shown) + ' of ' + plural(this.n, 'site', 'sites') +
      (shownOff ? ' (' + num(shownOff) + ' not on the map)' : '');
    document.body.setAttribute('data-mk-shown', String(shown));
  };

  Page.prototype.update = function () {
    this.result = this.compute();
    this.draw(this.result);
    this.syncControls();
    this.renderList();
  };

  // ------------------------------------------------------------------ download

  /* Save the shown sites as GeoJSON: every property (the heavy chunks are decoded here, one at a
     time, and not kept unless a popup already needed them), the collection metadata and the
     filter. The text is what JSON.stringify(collection, null, 2) gives, built feature by feature. */
  Page.prototype.download = function () {
    var self = this;
    var shown = this.result.shown.slice();
    var out = { type: 'FeatureCollection' };
    var meta = this.meta;
    Object.keys(meta).forEach(function (k) { if (k !== 'type' && k !== 'features') out[k] = meta[k]; });
    out.filter = this.chosenFilter();
    if (this.cfg.prefilter) out.prefilter = this.cfg.prefilter;
    var head = JSON.stringify(out, null, 2);
    var parts = [head.slice(0, -2) + ',\n  "features": ['];
    var rows = this.data.chunkRows;
    var button = this.downloadButton;
    var label = button.textContent;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    if (shown.length > 5000) button.textContent = 'Preparing ' + plural(shown.length, 'site', 'sites') + '…';
    var at = 0;
    var step = function () {
      if (at >= shown.length) return Promise.resolve();
      var k = Math.floor(shown[at] / rows);
      var cached = self.chunkCache[k];
      var d = self.data;
      var chunk = cached || inflateJSON(blobBytes(d.blob, d.chunks[k + 1], d.chunks[k + 2]));
      return chunk.then(function (heavy) {
        for (; at < shown.length && Math.floor(shown[at] / rows) === k; at++) {
          var i = shown[at];
          var text = JSON.stringify(self.feature(i, self.properties(i, heavy)), null, 2);
          parts.push((at ? ',\n    ' : '\n    ') + text.replace(/\n/g, '\n    '));
        }
        return step();
      });
    };
    return step().then(function () {
      parts.push(shown.length ? '\n  ]\n}\n' : ']\n}\n');
      var blob = new Blob(parts, { type: 'application/geo+json' });
      var a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = 'sites.geojson';
      a.hidden = true;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }).finally(function () {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      button.textContent = label;
    });
  };

  // ------------------------------------------------------------------ grid layer (large N)

  /* A canvas layer of our own for many sites: shown sites are binned into a screen grid at the
     current zoom; a cell with one site is drawn as that site, a cell with several as a cluster
     bubble. No DOM node and no Leaflet layer per site; recomputed from the shown set, so the
     clusters always match the filters. */
  var GridLayer = L.Layer.extend({
    initialize: function (page) {
      this.page = page;
      this.shown = [];
      this.cell = 44;
      var n = page.n;
      this.px = new Float64Array(n);
      this.py = new Float64Array(n);
      var crs = L.CRS.EPSG3857;
      for (var i = 0; i < n; i++) {
        if (!page.located[i]) continue;
        var pt = crs.latLngToPoint(L.latLng(page.lat[i], page.lon[i]), 0);
        this.px[i] = pt.x;
        this.py[i] = pt.y;
      }
    },
    onAdd: function (map) {
      this._map = map;
      this.canvas = L.DomUtil.create('canvas', 'mk-grid leaflet-zoom-hide');
      this.canvas.setAttribute('aria-hidden', 'true');
      map.getPanes().overlayPane.appendChild(this.canvas);
      map.on('moveend zoomend resize viewreset', this.redraw, this);
      map.on('click', this.onClick, this);
      this.redraw();
    },
    onRemove: function (map) {
      L.DomUtil.remove(this.canvas);
      map.off('moveend zoomend resize viewreset', this.redraw, this);
      map.off('click', this.onClick, this);
    },
    setShown: function (shown) {
      this.shown = shown;
      if (this._map) this.redraw();
    },
    redraw: function () {
      var map = this._map;
      var page = this.page;
      var size = map.getSize();
      var ratio = window.devicePixelRatio || 1;
      var topLeft = map.containerPointToLayerPoint([0, 0]);
      L.DomUtil.setPosition(this.canvas, topLeft);
      this.canvas.width = size.x * ratio;
      this.canvas.height = size.y * ratio;
      this.canvas.style.width = size.x + 'px';
      this.canvas.style.height = size.y + 'px';
      var ctx = this.canvas.getContext('2d');
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, size.x, size.y);
      var zoom = map.getZoom();
      var scale = 256 * Math.pow(2, zoom) / 256;
      // container point = projected point at this zoom - pixel origin + map pane position,
      // and the map pane position is minus the layer point of the container's corner
      var origin = map.getPixelOrigin();
      var offX = -origin.x - topLeft.x;
      var offY = -origin.y - topLeft.y;
      var worldPx = 256 * scale;
      var cell = this.cell;
      var cols = Math.ceil(size.x / cell) + 1;
      var bins = {};
      var items = [];
      var shown = this.shown;
      var pad = 20;
      var statusCodes = page.codes.status;
      var statusValues = page.values.status;
      var statusColors = statusValues.map(function (v) { return page.statusColor(v); });
      for (var k = 0; k < shown.length; k++) {
        var i = shown[k];
        if (!page.located[i]) continue;
        var x = this.px[i] * scale + offX;
        var y = this.py[i] * scale + offY;
        // nearest world copy
        if (x < -pad) x += worldPx * Math.ceil((-pad - x) / worldPx);
        if (x > size.x + pad) x -= worldPx * Math.ceil((x - size.x - pad) / worldPx);
        if (x < -pad || x > size.x + pad || y < -pad || y > size.y + pad) continue;
        var key = Math.floor((y + pad) / cell) * cols + Math.floor((x + pad) / cell);
        var b = bins[key];
        if (b === undefined) {
          bins[key] = items.length;
          items.push({ i: i, n: 1, sx: x, sy: y, mix: null });
        } else {
          var it = items[b];
          if (!it.mix) {
            it.mix = new Uint32Array(statusValues.length);
            it.mix[statusCodes[it.i]]++;
          }
          it.mix[statusCodes[i]]++;
          it.n++;
          it.sx += x;
          it.sy += y;
        }
      }
      this.items = items;
      var twoPi = Math.PI * 2;
      for (var m = 0; m < items.length; m++) {
        var item = items[m];
        if (item.n > 1) {
          item.x = item.sx / item.n;
          item.y = item.sy / item.n;
          var r = item.n < 10 ? 13 : item.n < 100 ? 16 : item.n < 1000 ? 19 : 22;
          item.r = r;
          ctx.beginPath();
          ctx.arc(item.x, item.y, r + 1.5, 0, twoPi);
          ctx.fillStyle = '#ffffff';
          ctx.fill();
          // a ring of the statuses inside, as on the cluster markers
          var a0 = -Math.PI / 2;
          for (var sc = 0; sc < statusValues.length; sc++) {
            var k = item.mix[sc];
            if (!k) continue;
            var a1 = a0 + twoPi * k / item.n;
            ctx.beginPath();
            ctx.moveTo(item.x, item.y);
            ctx.arc(item.x, item.y, r, a0, a1);
            ctx.closePath();
            ctx.fillStyle = statusColors[sc];
            ctx.fill();
            a0 = a1;
          }
          ctx.beginPath();
          ctx.arc(item.x, item.y, r - 5, 0, twoPi);
          ctx.fillStyle = '#263238';
          ctx.fill();
          ctx.fillStyle = '#ffffff';
          ctx.font = 'bold 12px system-ui, sans-serif';
          ctx.textAlign = 'center';
          ctx.textBaseline = 'middle';
          ctx.fillText(item.n >= 10000 ? Math.round(item.n / 1000) + 'k' : String(item.n), item.x, item.y);
        } else {
          item.x = item.sx;
          item.y = item.sy;
          item.r = 8;
          this.drawSite(ctx, item.i, item.x, item.y);
        }
      }
    },
    drawSite: function (ctx, i, x, y) {
      var page = this.page;
      var status = page.val(i, 'status');
      var mode = page.val(i, 'mode');
      var color = page.statusColor(status);
      var approx = page.approximate[page.val(i, 'location_precision')];
      ctx.beginPath();
      if (mode === 'cloud') ctx.rect(x - 6, y - 6, 12, 12);
      else ctx.arc(x, y, 6.5, 0, Math.PI * 2);
      ctx.setLineDash(mode === 'cloud' ? [3, 2] : []);
      if (approx) {
        ctx.fillStyle = 'rgba(255,255,255,0.85)';
        ctx.fill();
        ctx.lineWidth = 3;
        ctx.strokeStyle = color;
        ctx.stroke();
      } else {
        ctx.fillStyle = color;
        ctx.fill();
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = '#ffffff';
        ctx.stroke();
      }
      ctx.setLineDash([]);
    },
    onClick: function (e) {
      var pt = e.containerPoint;
      var items = this.items || [];
      var best = null, bestD = Infinity;
      for (var m = 0; m < items.length; m++) {
        var it = items[m];
        var dx = it.x - pt.x, dy = it.y - pt.y;
        var d = dx * dx + dy * dy;
        if (d <= (it.r + 3) * (it.r + 3) && d < bestD) { best = it; bestD = d; }
      }
      if (!best) return;
      var map = this._map;
      if (best.n > 1) {
        map.setView(map.containerPointToLatLng([best.x, best.y]), Math.min(map.getZoom() + 2, map.getMaxZoom()));
      } else {
        var i = best.i;
        this.page.openPopup(i, L.latLng(this.page.lat[i], this.page.lon[i]), false);
      }
    }
  });

  // ------------------------------------------------------------------ start

  Page.prototype.start = function () {
    var self = this;
    this.lastHash = location.hash || '';
    this.state = this.fromHash(this.lastHash);
    this.buildHeader();
    this.buildPanel();
    if (this.fitDescription) this.fitDescription();
    this.trackMapSize();
    // set the view before anything is drawn, so outlines and clusters are drawn once
    this.result = this.compute();
    this.fitToShown();
    this.setupLayers();
    this.buildLegend();
    this.update();
    window.addEventListener('popstate', function () { self.onHashChange(); });
    window.addEventListener('hashchange', function () { self.onHashChange(); });
    if (this.state.site) this.focusSite(this.state.site, false);
    if (this.isNarrow()) this.setPanelOpen(false);
  };

  /* Leaflet measured its container before the header and panel existed; a stale size makes
     fitBounds and popup auto-pan place things under the bottom edge. Measure again now and
     whenever the layout resizes the container (a wrapping header, the phone panel). */
  Page.prototype.trackMapSize = function () {
    var map = this.map;
    map.invalidateSize({ pan: false });
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(function () { map.invalidateSize({ pan: false }); }).observe(map.getContainer());
    }
  };

  Page.prototype.fitToShown = function () {
    var shown = this.result.shown;
    var bounds = null;
    for (var k = 0; k < shown.length; k++) {
      var i = shown[k];
      if (!this.located[i]) continue;
      if (!bounds) bounds = L.latLngBounds([this.lat[i], this.lon[i]], [this.lat[i], this.lon[i]]);
      else bounds.extend([this.lat[i], this.lon[i]]);
    }
    if (bounds) this.map.fitBounds(bounds.pad(0.05), { maxZoom: 6, animate: false });
    else this.map.setView([20, 10], 2, { animate: false });
  };

  function cannotStart(error) {
    var header = document.getElementById('mk-header');
    if (header) {
      header.appendChild(h('p', { class: 'mk-noscript', role: 'alert', text: 'This map could not open its data in this ' +
        'browser (it needs DecompressionStream: Chrome or Edge 103+, Firefox 113+, Safari 16.4+). ' + text(error && error.message) }));
    }
  }

  window.mapkit = {
    /* Start the page: parse the configuration, decode the light data, draw; a Promise of the
       page. window.__mapkitReady is set when markers are drawn and the filters usable. */
    start: function (map, dataNode) {
      var t0 = performance.now();
      var page = new Page(map, dataNode);
      window.mapkitPage = page;
      if (typeof DecompressionStream !== 'function') {
        cannotStart(null);
        return Promise.resolve(page);
      }
      var t1 = performance.now();
      var go = function () {
        var t2 = performance.now();
        page.start();
        window.mapkitTiming = { scriptStart: t0, parsed: t1, decoded: t2, ready: performance.now() };
        window.__mapkitReady = true;
        document.body.setAttribute('data-mk-ready', 'true');
        page.prefetch();
        return page;
      };
      var loading = page.load();
      if (!loading) return Promise.resolve(go());
      return loading.then(go, function (error) {
        cannotStart(error);
        throw error;
      });
    },
    fold: fold,
    safeUrl: safeUrl
  };
})();
