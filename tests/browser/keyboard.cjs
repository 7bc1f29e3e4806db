// Drives scorecard.html with the keyboard in the system's Chromium (playwright-core, no download).
//
//     node keyboard.cjs FILE_URL CHROMIUM
//
// Prints one JSON object: what focus, Enter and the arrow keys did, what the filters left
// visible, whether the phone-width page scrolls sideways, and any request that left the file.
const { chromium } = require('playwright-core');

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
	'--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

async function main(url, executablePath) {
	const browser = await chromium.launch({ executablePath, args: ARGS });
	const report = { requests: [] };
	try {
		const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
		page.on('request', (request) => {
			if (!request.url().startsWith('file:')) report.requests.push(request.url());
		});
		await page.goto(url);
		report.pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);

		// Tab from the top to the first drill-down and open it with Enter.
		for (report.tabs = 1; report.tabs <= 80; report.tabs++) {
			await page.keyboard.press('Tab');
			if (await page.evaluate(() => document.activeElement.tagName === 'SUMMARY')) break;
		}
		report.focusedCard = await page.evaluate(() => document.activeElement.closest('article')?.id ?? null);
		report.focusVisible = await page.evaluate(
			() => getComputedStyle(document.activeElement).outlineStyle !== 'none'
		);
		await page.keyboard.press('Enter');
		report.openedWithEnter = await page.evaluate(() => document.activeElement.parentElement.open);

		// The function filter with the arrow keys: down three times is HR.
		await page.focus('#filter-function');
		for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
		report.functionChosen = await page.$eval('#filter-function', (select) => select.value);
		report.visibleSections = await page.$$eval('main section[data-function]', (sections) =>
			sections.filter((section) => !section.hidden).map((section) => section.id)
		);
		report.visibleFlags = await page.$$eval('ol.flag-list li', (items) =>
			[...new Set(items.filter((item) => !item.hidden).map((item) => item.dataset.function))]
		);

		// Back to all functions, then one owner.
		await page.selectOption('#filter-function', '');
		const owner = await page.$eval('#filter-owner option:nth-child(2)', (option) => option.value);
		await page.selectOption('#filter-owner', owner);
		report.owner = owner;
		report.visibleCardOwners = await page.$$eval('article.card', (cards) =>
			[...new Set(cards.filter((card) => card.offsetParent !== null).map((card) => card.dataset.owner))]
		);

		// A warning's link takes the reader to its KPI.
		await page.selectOption('#filter-owner', '');
		await page.click('#flags summary');
		const link = page.locator('ol.flag-list a').first();
		report.linkTarget = await link.getAttribute('href');
		await link.focus();
		await page.keyboard.press('Enter');
		report.hashAfterEnter = await page.evaluate(() => decodeURIComponent(location.hash));
	} catch (error) {
		report.error = String(error && error.stack ? error.stack : error);
	} finally {
		await browser.close();
	}
	process.stdout.write(JSON.stringify(report) + '\n');
}

main(process.argv[2], process.argv[3]);
