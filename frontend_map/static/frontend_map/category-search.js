/* The citizen's category search: Russian as people type it. A light stemmer (яма / ямы / ям →
   «ям»), a table of everyday words per category (выбоина, дыра в асфальте, темно во дворе),
   tolerance for typos (фанарь → фонарь: one edit in a short word, two in a long one) and for a
   word still being typed (прорв… → прорвало), words in any order. Pure functions over the
   category list already on the page, so it works offline; the same file runs in node for the
   test of everyday phrasings (tests/frontend_map/test_category_search.py). */
(function (root, factory) {
  "use strict";
  if (typeof module === "object" && module.exports) { module.exports = factory(); } else { root.geoportalCategorySearch = factory(); }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // Everyday words and phrases per category code (the category's own name counts too).
  var WORDS = {
    "roads-potholes": "яма ямы ямка выбоина выбоины дыра дырка в асфальте провал асфальт разбит разбитая дорога колея " +
      "ямочный ремонт покрытие дороги лужа на дороге проезжая часть ухаб",
    "roads-sidewalk": "тротуар тротуара плитка разбита бордюр поребрик пешеходная дорожка асфальт на тротуаре",
    "roads-snow": "снег на дороге не чистят дорогу заносы сугробы на проезжей части гололёд на дороге наледь на дороге " +
      "снегоуборка трасса не убрана",
    "roads-signs": "знак дорожный знак разметка зебра пешеходный переход стёрлась разметка упал знак",
    "roads-traffic-lights": "светофор светофора не работает светофор мигает",
    "yard-cleaning": "грязь во дворе двор не убирают дворник уборка двора листва мусор во дворе",
    "yard-snow": "снег во дворе сосульки наледь во дворе скользко во дворе не чистят двор гололёд",
    "yard-playground": "детская площадка качели горка песочница карусель сломаны качели",
    "yard-parking": "парковка на газоне машины на газоне стоянка на газоне автомобиль на траве",
    "light-street": "фонарь фонари не горит фонарь не светит уличное освещение темно на улице лампа столб освещения",
    "light-yard": "темно во дворе нет света во дворе освещение двора фонарь во дворе",
    "light-park": "освещение в парке темно в парке сквер фонарь в сквере аллея",
    "waste-container": "!мусор мусорка контейнер бак мусорные баки переполнены мусор не вывозят помойка контейнерная площадка",
    "waste-dump": "свалка стихийная свалка мусор в лесу выбросили мусор строительный мусор",
    "waste-bulky": "старая мебель диван вывоз крупногабаритного холодильник выбросить шкаф",
    "heat-outage": "отопление батареи холодные батарея холодно в квартире не топят радиатор",
    "heat-hot-water": "горячая вода нет горячей воды горячей воды нет гвс кран горячей",
    "heat-pipe": "теплотрасса прорыв теплотрассы пар из земли пар из люка кипяток течёт горячая вода на улице",
    "water-outage": "!вода нет воды холодная вода отключили воду вода не идёт",
    "water-leak": "утечка прорыв трубы течь прорвало трубу затопило вода течёт водопровод",
    "water-sewer": "канализация засор запах канализации канализационный коллектор сточные воды вонь",
    "water-hatch": "люк открытый люк нет крышки люка колодец провалился люк",
    "transport-schedule": "автобус не пришёл расписание опаздывает автобус интервал трамвай троллейбус маршрутка долго ждать",
    "transport-stop": "остановка павильон остановки разбита остановка навес на остановке",
    "transport-route": "маршрут новый маршрут отменили маршрут маршрутная сеть",
    "green-tree": "дерево аварийное дерево упало дерево ветка сук наклонилось дерево спил",
    "green-mowing": "трава покос скосить траву бурьян высокая трава газон косить",
    "green-planting": "посадить деревья озеленение саженцы клумба высадить",
    "social-benefits": "пособие выплата льгота субсидия пенсия компенсация",
    "social-accessibility": "пандус инвалид коляска доступная среда маломобильные",
    "social-elderly": "пенсионер пожилой бабушка дедушка одинокий соцработник",
    "health-clinic": "поликлиника врач запись к врачу терапевт очередь в поликлинике больница",
    "health-medicine": "лекарства аптека льготные лекарства рецепт инсулин",
    "health-ambulance": "скорая скорая помощь долго ехала скорая вызов скорой",
    "edu-kindergarten": "детский сад садик место в садике очередь в детсад детсад ясли",
    "edu-school": "школа учитель класс школьный",
    "safety-order": "драка хулиганы пьяные общественный порядок полиция нарушение порядка",
    "safety-noise": "шум ночью шумят соседи музыка ночью громко ремонт ночью тишина",
    "housing-roof": "крыша протекает кровля течёт потолок протечка с крыши заливает с крыши",
    "housing-entrance": "подъезд лифт не работает лифт грязный подъезд домофон лестница"
  };
  var STOP = {"в": 1, "во": 1, "на": 1, "у": 1, "с": 1, "со": 1, "и": 1, "а": 1, "по": 1, "за": 1, "к": 1, "ко": 1,
              "из": 1, "от": 1, "до": 1, "о": 1, "об": 1, "около": 1, "возле": 1, "очень": 1, "уже": 1, "опять": 1,
              "снова": 1, "там": 1, "тут": 1, "здесь": 1, "мой": 1, "моей": 1, "нашем": 1, "наш": 1, "весь": 1,
              "все": 1, "всё": 1, "это": 1, "просто": 1, "дома": 1, "дом": 1, "доме": 1, "ул": 1, "улица": 1};
  // Words that say little about the category: weigh less than the words that name the problem.
  var WEAK = {"не": 0.3, "нет": 0.3, "сломан": 0.3, "разбит": 0.3, "работа": 0.3, "огромн": 0.3, "больш": 0.3,
              "плох": 0.3, "совсем": 0.3, "двор": 0.5, "улиц": 0.5, "парк": 0.5};
  // longest first: the first ending that leaves a stem of at least two letters is cut
  var ENDINGS = ["ившись", "ывшись", "иями", "ями", "ами", "ией", "иях", "ях", "ах", "ов", "ев", "ей", "ой", "ий", "ый",
                 "ая", "яя", "ое", "ее", "ые", "ие", "ую", "юю", "ом", "ем", "ам", "ям", "ью", "ия", "ья", "ье", "ьи",
                 "ию", "ии", "ешь", "ишь", "ет", "ит", "ют", "ут", "ат", "ят", "ла", "ло", "ли", "ть", "ти", "л",
                 "а", "я", "о", "е", "ы", "и", "у", "ю", "ь", "й"];

  function words(text) {
    return String(text || "").toLowerCase().replace(/ё/g, "е").split(/[^a-zа-я0-9]+/).filter(Boolean);
  }
  function stem(word) {
    var w = word.replace(/(ся|сь)$/, "");
    if (w.length < 3) { return w; }
    for (var i = 0; i < ENDINGS.length; i++) {
      var e = ENDINGS[i];
      if (w.length - e.length >= 2 && w.slice(-e.length) === e) { return w.slice(0, -e.length); }
    }
    return w;
  }
  function tokens(text) {
    return words(text).filter(function (w) { return !STOP[w]; }).map(stem);
  }
  // Damerau–Levenshtein (adjacent swaps count one), stopping early past ``limit``.
  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) { return limit + 1; }
    var prev2 = null, prev = [], i, j;
    for (j = 0; j <= b.length; j++) { prev.push(j); }
    for (i = 1; i <= a.length; i++) {
      var row = [i], best = i;
      for (j = 1; j <= b.length; j++) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        var v = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
        if (prev2 && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) { v = Math.min(v, prev2[j - 2] + 1); }
        row.push(v);
        if (v < best) { best = v; }
      }
      if (best > limit) { return limit + 1; }
      prev2 = prev; prev = row;
    }
    return prev[b.length];
  }
  // How well one typed stem matches one vocabulary stem (0 … 1).
  function similarity(q, v) {
    if (q === v) { return 1; }
    if (q.length >= 3 && v.length > q.length && v.indexOf(q) === 0) { return 0.8; }  // still typing
    if (q.indexOf(v) === 0 && (v.length >= 3 && q.length - v.length <= 2 || q.length - v.length === 1)) { return 0.85; }
    var limit = Math.min(q.length, v.length) >= 7 ? 2 : Math.min(q.length, v.length) >= 4 ? 1 : 0;
    if (!limit) { return 0; }
    var d = distance(q, v, limit);
    return d <= limit ? 0.75 - 0.15 * (d - 1) : 0;
  }

  /* categories: [{id, code, name, group}] → an index to rank against: each category's stems
     with their weight (its name 1.0, its everyday words 0.9 or 1.1 when marked «!» as the
     word people use for it, its group's name 0.5). */
  function index(categories) {
    return categories.map(function (c) {
      var vocabulary = [];
      tokens(c.name).forEach(function (s) { vocabulary.push([s, 1]); });
      tokens(c.group || "").forEach(function (s) { vocabulary.push([s, 0.5]); });
      String(WORDS[c.code] || "").split(/\s+/).forEach(function (w) {
        var strong = w.charAt(0) === "!";
        tokens(strong ? w.slice(1) : w).forEach(function (s) { vocabulary.push([s, strong ? 1.1 : 0.9]); });
      });
      return {id: c.id, code: c.code, name: c.name, vocabulary: vocabulary};
    });
  }
  function best(q, vocabulary) {
    var top = 0;
    for (var i = 0; i < vocabulary.length; i++) { top = Math.max(top, vocabulary[i][1] * similarity(q, vocabulary[i][0])); }
    return top;
  }
  /* The categories matching ``query``, best first: [{id, code, name, score}]. Each typed word
     adds its best match in the category's vocabulary, weighed down when it says little
     («нет», «сломан», «во дворе»); the order of the words does not matter. */
  function rank(query, indexed) {
    var q = tokens(query);
    if (!q.length) { return []; }
    var found = [];
    indexed.forEach(function (c) {
      var score = 0, hits = 0;
      q.forEach(function (t) {
        var m = best(t, c.vocabulary);
        if (m > 0) { hits += 1; score += m * (WEAK[t] || 1); }
      });
      if (hits) { found.push({id: c.id, code: c.code, name: c.name, score: score}); }
    });
    found.sort(function (a, b) { return b.score - a.score || a.name.localeCompare(b.name, "ru"); });
    return found;
  }
  return {rank: rank, index: index, stem: stem, tokens: tokens, distance: distance, WORDS: WORDS};
});
