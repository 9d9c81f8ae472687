// Texts of the admin's sign-in at a partner (sign-in.js), in English and
// German; i18n.js merges them into the console's texts.

export const SIGN_IN_TEXTS = {
  en: {
    signInTitle2: "Sign-in at the partner",
    setUpSignInNotice: "{name} is set up. Sign in at {at} to finish connecting.",
    signInAt: "Sign in at {at}",
    signOutAt: "Sign out at {at}",
    signInNeeded: "This integration works with your own account at {at}. Sign in there and grant access; Lockgate keeps the sign-in sealed, and the connector never sees it.",
    signedInSince: "Signed in at {at} by {by}, since",
    signedInNotice: "Signed in at {at}. The connection was checked again.",
    notSignedIn: "The sign-in at the partner did not complete.",
    signOutConfirm: "Sign out at {at}? The integration stops until someone signs in again.",
    signedOutRevoked: "Signed out; {at} revoked the sign-in.",
    signedOutKept: "Signed out here, but {at} did not revoke the sign-in ({why}). Remove Lockgate's access in your account there.",
  },
  de: {
    signInTitle2: "Anmeldung beim Partner",
    setUpSignInNotice: "{name} ist eingerichtet. Melden Sie sich bei {at} an, um die Verbindung abzuschließen.",
    signInAt: "Bei {at} anmelden",
    signOutAt: "Bei {at} abmelden",
    signInNeeded: "Diese Integration arbeitet mit Ihrem eigenen Konto bei {at}. Melden Sie sich dort an und erteilen Sie den Zugriff; Lockgate verwahrt die Anmeldung verschlüsselt, der Konnektor sieht sie nie.",
    signedInSince: "Bei {at} angemeldet von {by}, seit",
    signedInNotice: "Bei {at} angemeldet. Die Verbindung wurde erneut geprüft.",
    notSignedIn: "Die Anmeldung beim Partner wurde nicht abgeschlossen.",
    signOutConfirm: "Bei {at} abmelden? Die Integration ruht, bis sich wieder jemand anmeldet.",
    signedOutRevoked: "Abgemeldet; {at} hat die Anmeldung widerrufen.",
    signedOutKept: "Hier abgemeldet, aber {at} hat die Anmeldung nicht widerrufen ({why}). Entziehen Sie Lockgate den Zugriff in Ihrem Konto dort.",
  },
};
