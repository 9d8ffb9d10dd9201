import { chromium, type Browser } from 'playwright-core'

/** Debian's Chromium (apt-get install chromium), as the browser suites and the console bench launch it. */
export const CHROMIUM = '/usr/bin/chromium'

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  })
