"""What every app needs below it; imports no app."""
