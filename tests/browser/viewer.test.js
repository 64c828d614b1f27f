// viewer.test.js: a nurse's path through `chartvault serve` in headless Debian Chromium,
// driven by playwright-core: log in, search, open a patient, open a bed map and a census
// from the start page, print view; screenshots of each into $SCREENSHOTS. Also fails on any
// Content-Security-Policy violation or script error the pages cause.
//
// Environment: CV_URL, CV_USER, CV_PASSWORD, CV_QUERY (search text), CV_SCREENSHOTS (folder),
// CV_PROFILE (a fresh user-data dir).
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const url = process.env.CV_URL;
const shots = process.env.CV_SCREENSHOTS;
let passed = 0;
let failed = 0;

async function step(name, fn) {
    try {
        await fn();
        passed++;
        console.log(`ok: ${name}`);
    } catch (e) {
        failed++;
        console.log(`FAIL: ${name}: ${e.message}`);
        throw e;
    }
}

async function shot(page, name, fullPage = true) {
    await page.screenshot({ path: path.join(shots, name), fullPage });
}

async function run(page, problems) {
    await step('login page in Japanese', async () => {
        await page.goto(`${url}/patient/9999013`);
        assert.match(page.url(), /\/login$/);
        assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
        await shot(page, 'login.png', false);
    });
    await step('log in', async () => {
        await page.fill('input[name=user]', process.env.CV_USER);
        await page.fill('input[name=password]', process.env.CV_PASSWORD);
        await Promise.all([page.waitForURL(`${url}/`), page.click('button.primary')]);
        assert.ok(await page.locator('.fresh').isVisible(), 'freshness banner');
        assert.match(await page.locator('.fresh').innerText(), /データ時点/);
        await shot(page, 'start.png');
    });
    await step('search', async () => {
        await page.fill('#q', process.env.CV_QUERY);
        await Promise.all([page.waitForURL(/\/search\?q=/), page.press('#q', 'Enter')]);
        assert.ok((await page.locator('table.results tr').count()) >= 2, 'at least one hit');
        await shot(page, 'search.png');
    });
    await step('open a patient', async () => {
        await Promise.all([page.waitForURL(/\/patient\//),
                           page.locator('table.results a').first().click()]);
        const box = page.locator('section.allergy');
        assert.ok(await box.isVisible(), 'allergy box visible');
        const text = await box.innerText();
        assert.ok(!/^\s*なし\s*$/m.test(text), 'allergy box never says just なし');
        assert.ok(await page.locator('.banner .pname').isVisible());
        if (process.env.CV_EXPECT_SECTIONS) {
            // a drip shows each of its drugs, base first; a culture its organisms
            assert.match((await page.locator('table.meds').allInnerTexts()).join(), /基剤/);
            assert.ok(await page.locator('section.culture').first().isVisible(), 'culture');
            assert.ok((await page.locator('table.sus tr').count()) >= 2, 'susceptibility');
        }
        await shot(page, 'patient.png');
    });
    await step('print view (A4, print stylesheet)', async () => {
        const href = await page.locator('a[href$="/print"]').first().getAttribute('href');
        await page.goto(`${url}${href}`);
        await page.emulateMedia({ media: 'print' });
        assert.ok(!(await page.locator('header.top').isVisible()), 'no navigation in print');
        assert.match(await page.locator('footer.foot').innerText(), /印刷日時.*データ時点/s);
        // the first A4 page as it prints (96 dpi), footer at its foot
        await page.setViewportSize({ width: 794, height: 1123 });
        await shot(page, 'patient-print.png', false);
        await page.setViewportSize({ width: 900, height: 1200 });
        await page.pdf({ path: path.join(shots, 'patient-print.pdf'), format: 'A4' });
        await page.emulateMedia({ media: 'screen' });
    });
    if (process.env.CV_DIAGNOSES && process.env.CV_DIAGNOSES !== '-') {
        await step('diagnoses only in older diagnosis files are listed apart', async () => {
            await page.goto(`${url}/patient/${process.env.CV_DIAGNOSES}`);
            assert.match(await page.locator('h3.older').innerText(), /以前の病名ファイルにのみ記載/);
            await shot(page, 'patient-diagnoses.png');
        });
    }
    if (process.env.CV_UNCONFIRMED && process.env.CV_UNCONFIRMED !== '-') {
        await step('a patient without a registration record is marked unconfirmed', async () => {
            await page.goto(`${url}/patient/${process.env.CV_UNCONFIRMED}`);
            assert.match(await page.locator('.unconfirmed-id').innerText(), /未確認/);
            assert.match(await page.locator('.banner').innerText(), /未登録/);
            await shot(page, 'patient-unconfirmed.png');
        });
    }
    await step('bed map one click from the start page', async () => {
        await page.goto(`${url}/`);
        await Promise.all([page.waitForURL(/\/ward\/[^/]+\/beds$/),
                           page.locator('.wardlist a[href$="/beds"]').first().click()]);
        assert.ok((await page.locator('.bedmap .room').count()) >= 1, 'rooms drawn');
        await shot(page, 'bedmap.png');
    });
    await step('census one click from the start page', async () => {
        await page.goto(`${url}/`);
        await Promise.all([page.waitForURL(/\/ward\/[^/]+$/),
                           page.locator('.wardlist a:not([href$="/beds"])').first().click()]);
        assert.match(await page.locator('h1').innerText(), /患者一覧/);
        if (process.env.CV_EXPECT_CENSUS)
            assert.ok((await page.locator('table.census tr').count()) >= 2, 'census rows');
        await shot(page, 'census.png');
    });
    await step('English on request', async () => {
        await Promise.all([page.waitForLoadState('load'),
                           page.locator('form[action="/lang"] button').click()]);
        assert.equal(await page.locator('html').getAttribute('lang'), 'en');
        assert.match(await page.locator('h1').innerText(), /Ward/);
        await shot(page, 'census-en.png');
    });
    await step('no CSP violation or script error', async () => {
        assert.deepEqual(problems, []);
    });
}

(async () => {
    fs.mkdirSync(shots, { recursive: true });
    // a fresh profile folder (--user-data-dir) of its own for every run
    const context = await chromium.launchPersistentContext(process.env.CV_PROFILE, {
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        ignoreHTTPSErrors: true, // the viewer's self-signed certificate
        viewport: { width: 900, height: 1200 }, // a tablet, portrait
        locale: 'ja-JP',
    });
    const page = context.pages()[0] || (await context.newPage());
    const problems = [];
    page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    try {
        await run(page, problems);
    } catch (e) {
        await page.screenshot({ path: path.join(process.env.CV_PROFILE, 'failure.png') }).catch(() => {});
    } finally {
        await context.close();
    }
    console.log(`browser: ${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
})();
